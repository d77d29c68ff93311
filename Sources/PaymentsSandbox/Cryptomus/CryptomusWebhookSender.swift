import Foundation
import Logging
import PaymentsCore

/// POSTs Cryptomus webhooks asynchronously, in order per invoice, retrying failed attempts with backoff.
final class CryptomusWebhookSender: Sendable {
    /// Waits before each retry, in milliseconds (at most six attempts in all).
    static let backoff = [200, 500, 1000, 2000, 4000]

    /// `<SANDBOX_WEBHOOK_TARGET>/cryptomus-handleWebhookEvents`, or nil when delivery is disabled.
    let url: String?
    private let logger: Logger
    private let queues = Locked<[String: [Job]]>([:])

    /// One delivery: the bytes to POST and where to report each attempt.
    struct Job: Sendable {
        let eventID: String
        let body: [UInt8]
        /// Forged deliveries are tried once: their rejection is the expected outcome.
        let retries: Bool
        let report: @Sendable (_ status: String, _ httpStatus: Int?, _ error: String?) -> Void
    }

    init(target: String?, logger: Logger) {
        url = target.map { $0 + "/cryptomus-handleWebhookEvents" }
        self.logger = logger
    }

    /// Queues a job behind earlier ones of the same invoice; starts a worker thread when none runs for it.
    func enqueue(invoice: String, job: Job) {
        let startWorker = queues.withLock { queues -> Bool in
            if queues[invoice] != nil {
                queues[invoice]?.append(job)
                return false
            }
            queues[invoice] = [job]
            return true
        }
        guard startWorker else { return }
        let thread = Thread { [self] in self.drain(invoice) }
        thread.name = "cryptomus-webhooks"
        thread.start()
    }

    private func drain(_ invoice: String) {
        while true {
            let next = queues.withLock { queues -> Job? in
                guard var jobs = queues[invoice], !jobs.isEmpty else {
                    queues[invoice] = nil
                    return nil
                }
                let job = jobs.removeFirst()
                queues[invoice] = jobs
                return job
            }
            guard let next else { return }
            deliver(next)
        }
    }

    private func deliver(_ job: Job) {
        guard let url else {
            job.report("no_target", nil, nil)
            return
        }
        let attempts = job.retries ? Self.backoff.count : 0
        for attempt in 0...attempts {
            if attempt > 0 { SocketIO.sleep(milliseconds: Self.backoff[attempt - 1]) }
            let isLast = attempt == attempts
            do throws(SandboxError) {
                let response = try HTTPClient.send(
                    method: "POST", url: url,
                    headers: [("Content-Type", "application/json"), ("User-Agent", "Cryptomus-Webhook/1.0 (sandbox)")],
                    body: job.body, timeoutSeconds: 30)
                if (200..<300).contains(response.status) {
                    job.report("delivered", response.status, nil)
                    logger.info("cryptomus webhook \(job.eventID) delivered (\(response.status))")
                    return
                }
                job.report(isLast ? "failed" : "retrying", response.status, nil)
                logger.info("cryptomus webhook \(job.eventID) answered \(response.status) (attempt \(attempt + 1))")
            } catch {
                job.report(isLast ? "failed" : "retrying", nil, error.message)
                logger.info("cryptomus webhook \(job.eventID) failed: \(error.message) (attempt \(attempt + 1))")
            }
        }
    }
}

import Foundation
import Logging
import PaymentsCore
import Signing

/// Delivers Stripe events as signed POSTs, asynchronously, in order per PaymentIntent, retrying failures with backoff;
/// held events are released in any order the operator asks for (`deliverIndependently`).
final class WebhookDispatcher: Sendable {
    /// One delivery to perform; `timestamp`/`secret` override the signature for tolerance and bad-signature tests.
    struct Job: Sendable {
        let eventID: String
        let payload: [UInt8]
        let timestamp: Int64?
        let secret: String?
        let report: @Sendable (Report) -> Void
    }

    /// The outcome of one attempt (or the final state).
    struct Report: Sendable {
        let eventID: String
        let status: String
        let attemptsDelta: Int
        let httpStatus: Int?
        let error: String?
    }

    /// Waits before each retry, in milliseconds (so at most six attempts in all).
    static let backoff = [200, 500, 1000, 2000, 4000]

    /// The full endpoint URL, or nil when delivery is disabled.
    let url: String?
    private let secret: String
    private let logger: Logger
    /// Pending jobs per key; a key is present while a worker thread is draining it.
    private let queues = Locked<[String: [Job]]>([:])

    init(target: String?, secret: String, logger: Logger) {
        url = target.map { $0 + "/stripe-handleWebhookEvents" }
        self.secret = secret
        self.logger = logger
    }

    /// Queues a job behind earlier jobs of the same key; starts a worker for the key when none runs.
    func enqueue(key: String, job: Job) {
        let startWorker = queues.withLock { queues -> Bool in
            if queues[key] != nil {
                queues[key]?.append(job)
                return false
            }
            queues[key] = [job]
            return true
        }
        if startWorker {
            let thread = Thread { [self] in self.drain(key) }
            thread.name = "webhooks"
            thread.start()
        }
    }

    private func drain(_ key: String) {
        while true {
            let next = queues.withLock { queues -> Job? in
                guard var jobs = queues[key], !jobs.isEmpty else {
                    queues[key] = nil
                    return nil
                }
                let job = jobs.removeFirst()
                queues[key] = jobs
                return job
            }
            guard let next else { return }
            deliver(next)
        }
    }

    /// Signs and POSTs one event, retrying per `backoff` from attempt `first`; reports every attempt.
    private func deliver(_ job: Job, from first: Int = 0) {
        for attempt in first...Self.backoff.count {
            if attempt > 0 { SocketIO.sleep(milliseconds: Self.backoff[attempt - 1]) }
            if self.attempt(job, number: attempt).delivered { return }
        }
    }

    /// Delivers `jobs` in the given order, each on its own: the first attempts are made one after the other (this
    /// call returns when they are done, with their HTTP statuses), and a job whose first attempt failed is retried on
    /// a thread of its own, so no event waits behind a failing one (no gateway promises any order).
    func deliverIndependently(_ jobs: [Job]) -> [Int?] {
        jobs.map { job in
            let first = attempt(job, number: 0)
            if !first.delivered && url != nil {
                let thread = Thread { [self] in self.deliver(job, from: 1) }
                thread.name = "webhooks"
                thread.start()
            }
            return first.status
        }
    }

    /// One signed POST (attempt `number`, counted from 0); reports it and says whether the backend answered 2xx.
    private func attempt(_ job: Job, number attempt: Int) -> (delivered: Bool, status: Int?) {
        guard let url else {
            job.report(Report(eventID: job.eventID, status: "no_target", attemptsDelta: 0, httpStatus: nil, error: nil))
            return (true, nil)
        }
        let timestamp = job.timestamp ?? SocketIO.now()
        let key = Array((job.secret ?? secret).utf8)
        let signature = Hex.encode(HMAC.sha256(key: key, message: Array("\(timestamp).".utf8) + job.payload))
        let isLast = attempt == Self.backoff.count
        do throws(SandboxError) {
            let response = try HTTPClient.send(
                method: "POST", url: url,
                headers: [
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("Stripe-Signature", "t=\(timestamp),v1=\(signature)"),
                    ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
                ], body: job.payload, timeoutSeconds: 30)
            if (200..<300).contains(response.status) {
                job.report(
                    Report(
                        eventID: job.eventID, status: "delivered", attemptsDelta: 1, httpStatus: response.status,
                        error: nil))
                logger.info("webhook \(job.eventID) delivered (\(response.status))")
                return (true, response.status)
            }
            job.report(
                Report(
                    eventID: job.eventID, status: isLast ? "failed" : "retrying", attemptsDelta: 1,
                    httpStatus: response.status, error: nil))
            logger.info("webhook \(job.eventID) answered \(response.status) (attempt \(attempt + 1))")
            return (false, response.status)
        } catch {
            job.report(
                Report(
                    eventID: job.eventID, status: isLast ? "failed" : "retrying", attemptsDelta: 1, httpStatus: nil,
                    error: error.message))
            logger.info("webhook \(job.eventID) failed: \(error.message) (attempt \(attempt + 1))")
            return (false, nil)
        }
    }
}

import Foundation
import Logging
import PaymentsCore
import Signing

/// Delivers PayPal events as signed POSTs: `transmission id|time|webhook id|CRC-32(body)` signed SHA256withRSA with the
/// sandbox leaf, the leaf's URL in `PAYPAL-CERT-URL`. Ordinary deliveries are asynchronous, in order per order id,
/// retried with back-off; `sendOnce` makes one synchronous (possibly forged) attempt for tests.
final class PayPalWebhookSender: Sendable {
    /// What to change in a delivery to forge it.
    struct Forgery: Sendable {
        var webhookID: String?
        /// Sign with the rogue leaf's key instead of the genuine one.
        var rogueKey = false
        var certURL: String?
        /// Change the body after signing.
        var tamper = false
        var algorithm: String?
        /// Sign (genuinely) with this `PAYPAL-TRANSMISSION-TIME` instead of now.
        var transmissionTime: String?
    }

    struct Attempt: Sendable {
        let status: Int?
        let body: String
        let error: String?
    }

    static let backoff = [200, 500, 1000, 2000, 4000]

    let url: String?
    let webhookID: String
    let chain: PayPalCertificateChain
    let genuineCertURL: String
    let rogueCertURL: String
    private let logger: Logger
    private let queues = Locked<[String: [(PayPalEventRecord, @Sendable (Attempt, Bool) -> Void)]]>([:])

    init(target: String?, webhookID: String, chain: PayPalCertificateChain, apiBase: String, logger: Logger) {
        url = target.map { $0 + "/paypal-handleWebhookEvents" }
        self.webhookID = webhookID
        self.chain = chain
        genuineCertURL = "\(apiBase)/v1/notifications/certs/\(PayPalCertificateChain.genuineName)"
        rogueCertURL = "\(apiBase)/v1/notifications/certs/\(PayPalCertificateChain.rogueName)"
        self.logger = logger
    }

    /// Queues a delivery behind earlier ones of the same order; `report(attempt, final)` follows every attempt.
    func enqueue(_ record: PayPalEventRecord, report: @escaping @Sendable (Attempt, Bool) -> Void) {
        let start = queues.withLock { queues -> Bool in
            if queues[record.orderID] != nil {
                queues[record.orderID]?.append((record, report))
                return false
            }
            queues[record.orderID] = [(record, report)]
            return true
        }
        if start {
            let thread = Thread { [self] in self.drain(record.orderID) }
            thread.name = "paypal-webhooks"
            thread.start()
        }
    }

    private func drain(_ key: String) {
        while true {
            let next = queues.withLock { queues -> (PayPalEventRecord, @Sendable (Attempt, Bool) -> Void)? in
                guard var jobs = queues[key], !jobs.isEmpty else {
                    queues[key] = nil
                    return nil
                }
                let job = jobs.removeFirst()
                queues[key] = jobs
                return job
            }
            guard let (record, report) = next else { return }
            for attempt in 0...Self.backoff.count {
                if attempt > 0 { SocketIO.sleep(milliseconds: Self.backoff[attempt - 1]) }
                let result = sendOnce(record.payload, forgery: Forgery())
                let delivered = result.status.map { (200..<300).contains($0) } ?? false
                report(result, delivered || attempt == Self.backoff.count)
                logger.info(
                    "paypal webhook \(record.id) → \(result.status.map(String.init) ?? result.error ?? "no answer")")
                if delivered { break }
            }
        }
    }

    /// One signed POST, forged as asked; answers what the backend said.
    func sendOnce(_ payload: [UInt8], forgery: Forgery) -> Attempt {
        guard let url else { return Attempt(status: nil, body: "", error: "SANDBOX_WEBHOOK_TARGET is not set") }
        let transmissionID = UUID().uuidString.lowercased()
        let time = forgery.transmissionTime ?? PayPalStore.timestamp()
        let message = Array(
            "\(transmissionID)|\(time)|\(forgery.webhookID ?? webhookID)|\(CRC32.checksum(payload))".utf8)
        let key = forgery.rogueKey ? chain.rogueLeafKey : chain.genuineLeafKey
        let signature: String
        do {
            signature = Base64.encode(try key.sign(message, algorithm: .rsaPKCS1SHA256))
        } catch {
            return Attempt(status: nil, body: "", error: "signing failed: \(error)")
        }
        var body = payload
        if forgery.tamper, let last = body.lastIndex(of: UInt8(ascii: "}")) { body.insert(UInt8(ascii: " "), at: last) }
        do throws(SandboxError) {
            let response = try HTTPClient.send(
                method: "POST", url: url,
                headers: [
                    ("Content-Type", "application/json"), ("PAYPAL-TRANSMISSION-ID", transmissionID),
                    ("PAYPAL-TRANSMISSION-TIME", time),
                    ("PAYPAL-TRANSMISSION-SIG", signature), ("PAYPAL-CERT-URL", forgery.certURL ?? genuineCertURL),
                    ("PAYPAL-AUTH-ALGO", forgery.algorithm ?? "SHA256withRSA"), ("PAYPAL-AUTH-VERSION", "v2"),
                    ("User-Agent", "PayPal/AUHD-214.0-sandbox"),
                ], body: body, timeoutSeconds: 30)
            return Attempt(status: response.status, body: String(decoding: response.body, as: UTF8.self), error: nil)
        } catch {
            return Attempt(status: nil, body: "", error: error.message)
        }
    }
}

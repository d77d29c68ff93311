import Logging
import PaymentsCore

/// Handles `cryptomus-handleWebhookEvents`: source check, PHP-style signature, then the invoice's facts
/// (DESIGN §1.2, research §1.4–1.6). Event ids are `<uuid>:<status>`.
struct CryptomusWebhook: WebhookHandling {
    /// Cryptomus's payment info does not confirm a `paid` webhook yet: answered 503 so that Cryptomus retries.
    struct NotConfirmed: APIErrorConvertible, CustomStringConvertible {
        let status: String
        var description: String { "cryptomus reports the invoice as \(status), not finally paid" }
        var apiError: APIError { APIError(.circuitOpen, "cryptomus has not confirmed this payment yet, retry later") }
    }

    let configuration: CryptomusConfiguration
    let signature: CryptomusSignature
    let invoices: CryptomusInvoices
    var ledgerID: String { CryptomusGateway.ledgerID }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<CryptomusInvoice> {
        try configuration.allowedIPs.admit(context.request.remoteAddress, variable: "CRYPTOMUS_ALLOWED_IPS")
        let payload: JSONValue
        do {
            payload = try JSONValue.parse(context.request.body)
            try signature.verifyWebhook(payload)
        } catch {
            throw WebhookRejection(error)
        }
        guard let signed = CryptomusInvoice(payload) else {
            throw APIError(.badRequest, "body is not a Cryptomus payment webhook")
        }
        return WebhookDelivery(event: signed, eventID: "\(signed.uuid):\(signed.status)", eventType: signed.status)
    }

    /// A stored delivery, read as `verifiedDelivery` reads one once its signature passed.
    func storedEvent(_ stored: WebhookEventRecord) throws -> CryptomusInvoice? {
        guard let payload = try? JSONValue.parse(stored.payload), let invoice = CryptomusInvoice(payload) else {
            throw APIError(.badRequest, "stored payload is not a Cryptomus payment webhook")
        }
        return invoice
    }

    /// The facts of one verified delivery. A payment is credited only from the re-read invoice; every other status
    /// acts on the signed payload, which is final where it closes or refunds.
    func facts(for signed: CryptomusInvoice, settlement: Settlement, logger: Logger) throws -> [SettlementFact] {
        guard signed.type == nil || signed.type == "payment",
            let session = try invoices.session(for: signed, ledger: settlement.ledger)
        else { return [.ignored(reason: "ignored")] }
        guard signed.status == "paid" || signed.status == "paid_over" else {
            return [invoices.fact(signed, session: session)]
        }
        let current = try invoices.api.paymentInfo(uuid: signed.uuid)
        guard current.uuid == signed.uuid, current.isFinallyPaid, current.orderID == session.publicID else {
            logger.notice(
                "cryptomus payment info does not confirm the webhook yet",
                metadata: ["payment.status": "\(current.status)", "payment.final": "\(current.isFinal)"])
            throw NotConfirmed(status: current.status)
        }
        return [invoices.fact(current, session: session, fallbackUSD: signed.paymentAmountUSD)]
    }
}

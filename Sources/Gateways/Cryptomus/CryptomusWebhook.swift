import Logging
import PaymentsCore

/// Handles `cryptomus-handleWebhookEvents`: source check, PHP-style signature, then the invoice's effect once
/// (DESIGN §1.2, research §1.4–1.6). Event ids are `<uuid>:<status>`.
struct CryptomusWebhook: Sendable {
    let configuration: CryptomusConfiguration
    let signature: CryptomusSignature
    let settlement: CryptomusSettlement
    static let ledgerID = CryptomusSettlement.ledgerID

    func handle(_ context: RequestContext) throws -> APIResponse {
        let intake = WebhookIntake(context, gateway: CryptomusWebhook.ledgerID)
        guard configuration.isAllowedSource(context.request.remoteAddress) else {
            throw intake.rejected("source address \(context.request.remoteAddress) is not in CRYPTOMUS_ALLOWED_IPS")
        }
        let payload: JSONValue
        do {
            payload = try JSONValue.parse(context.request.body)
            try signature.verifyWebhook(payload)
        } catch {
            throw intake.rejected(error)
        }
        guard let signed = CryptomusInvoice(payload) else {
            throw APIError(.badRequest, "body is not a Cryptomus payment webhook")
        }
        let eventID = "\(signed.uuid):\(signed.status)"
        var logger = context.logger
        logger[metadataKey: "event.id"] = "\(eventID)"
        guard let record = try intake.record(eventID: eventID, eventType: signed.status, signatureHeaders: []) else {
            return .received
        }
        return intake.acknowledge(try process(signed, record: record, ledger: context.ledger, logger: logger))
    }

    /// Applies one verified delivery. A payment is credited only from the re-read invoice; every other status acts on
    /// the signed payload, which is final where it closes or refunds.
    func process(_ signed: CryptomusInvoice, record: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws
        -> LedgerOutcome
    {
        guard signed.type == nil || signed.type == "payment",
            let session = try settlement.session(for: signed, ledger: ledger)
        else {
            return try ledger.apply(LedgerEffect(event: record.withOutcome("ignored")))
        }
        guard signed.status == "paid" || signed.status == "paid_over" else {
            return try settlement.apply(signed, session: session, event: record, ledger: ledger, logger: logger).1
        }
        let current = try settlement.api.paymentInfo(uuid: signed.uuid)
        guard current.uuid == signed.uuid, current.isFinallyPaid, current.orderID == session.publicID else {
            logger.notice(
                "cryptomus payment info does not confirm the webhook yet",
                metadata: ["payment.status": "\(current.status)", "payment.final": "\(current.isFinal)"])
            throw APIError(.circuitOpen, "cryptomus has not confirmed this payment yet, retry later")
        }
        return try settlement.apply(
            current, session: session, event: record, fallbackUSD: signed.paymentAmountUSD, ledger: ledger,
            logger: logger
        ).1
    }
}

import Logging
import PaymentsCore

/// Handles `anypay-handleWebhookEvents` (POST form or GET query, research §3.3): source check, the SHA-256 `sign`
/// with the configured merchant id (the legacy MD5 one is refused), then the payment's facts from the signed fields.
/// Event ids are `<transaction_id>:<status>`; accepted notifications are answered `OK`, refused ones with the JSON
/// error (401, or 403 for a source outside `ANYPAY_ALLOWED_IPS`).
struct AnypayWebhook: WebhookHandling {
    let configuration: AnypayConfiguration
    let signature: AnypaySignature
    var ledgerID: String { AnypayGateway.ledgerID }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<AnypayNotification> {
        try configuration.allowedIPs.admit(context.request.remoteAddress, variable: "ANYPAY_ALLOWED_IPS")
        let notification: AnypayNotification
        let fields = AnypayWebhook.fields(context.request)
        do {
            notification = try AnypayNotification(fields: fields)
            try signature.verify(notification)
        } catch {
            throw WebhookRejection(error)
        }
        // A test notification (Anypay's "send test" button) is recorded apart, so it can never stand in for the
        // genuine notification of the same transaction and status.
        let eventID = notification.isTest ? notification.eventID + ":test" : notification.eventID
        // A GET notification has no body: its query fields are what is kept for audit.
        let payload = context.request.body.isEmpty ? Array(FormEncoding.encode(fields).utf8) : nil
        return WebhookDelivery(
            event: notification, eventID: eventID, eventType: notification.status, checkFirst: false,
            payload: payload)
    }

    /// A stored notification's fields (a GET notification's query fields are stored form-encoded), read as
    /// `verifiedDelivery` reads them once the signature passed.
    func storedEvent(_ stored: WebhookEventRecord) throws -> AnypayNotification? {
        do {
            return try AnypayNotification(fields: FormEncoding.parse(String(decoding: stored.payload, as: UTF8.self)))
        } catch {
            throw APIError(.badRequest, "stored payload is not an Anypay notification: \(error)")
        }
    }

    /// The payment's fact. `paid` credits the session that `pay_id` names, once, for exactly its amount in USD (a
    /// mismatch goes to an operator); `partially-paid` goes to an operator; `canceled`, `expired` and `error` close the
    /// session; `refund` takes the whole payment back. Test notifications and other statuses change nothing.
    func facts(for notification: AnypayNotification, settlement: Settlement, logger: Logger) throws
        -> [SettlementFact]
    {
        guard !notification.isTest else { return [.ignored(reason: "test")] }
        guard let session = try settlement.ledger.session(gateway: ledgerID, externalID: notification.payID) else {
            guard notification.isPaid else { return [.ignored(reason: "unknown-order")] }
            return [.needsOperator(note(notification, reason: "unknown-order", closing: nil))]
        }
        switch notification.status {
        case "paid":
            return [
                .exactPayment(
                    id: notification.paymentID, of: session, amount: notification.amount,
                    currency: notification.currency, text: notification.amountText)
            ]
        case "partially-paid":
            return [.needsOperator(note(notification, reason: "anypay-partially-paid", closing: session))]
        case "refund":
            return [
                .refunded(
                    SettlementFact.Refund(
                        id: notification.paymentID + "-refund", paymentID: notification.paymentID, kind: .refund,
                        amount: .wholePayment))
            ]
        case "canceled":
            return [.sessionClosed(session, .canceled, reason: "canceled")]
        case "expired":
            return [.sessionClosed(session, .expired, reason: "expired")]
        case "error":
            return [.sessionClosed(session, .failed, reason: "error")]
        default:
            return [.open(reason: "not-paid", session: session)]
        }
    }

    /// `OK` for every settled or duplicate notification, operator items included, so Anypay stops retrying.
    func acknowledgement(for notification: AnypayNotification, result: SettlementResult) -> APIResponse {
        .text(AnypayNotification.acceptedAnswer)
    }

    private func note(_ notification: AnypayNotification, reason: String, closing: PaymentSession?)
        -> SettlementFact.OperatorNote
    {
        SettlementFact.OperatorNote(
            reference: notification.paymentID, reason: reason,
            detail:
                "pay_id=\(notification.payID) status=\(notification.status) amount=\(notification.amountText) "
                + "currency=\(notification.currency)",
            closing: closing)
    }

    /// The notification's fields: the form body of a POST, the query of a GET.
    private static func fields(_ request: APIRequest) -> [(String, String)] {
        guard request.method == "GET" || request.method == "HEAD" else {
            return FormEncoding.parse(String(decoding: request.body, as: UTF8.self))
        }
        return request.query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

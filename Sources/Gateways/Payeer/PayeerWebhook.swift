import Logging
import PaymentsCore

/// Handles `payeer-handleWebhookEvents`: the status notification Payeer POSTs as a form (research §2.2). Source
/// check, `m_sign` over the ten signed fields (+ `m_params`), then the operation's facts from the signed fields alone.
/// Event ids are `m_operation_id`; every answer is text: `<m_orderid>|success`, or `<m_orderid>|error` with 401 (not
/// signed by this shop) or 403 (source outside `PAYEER_ALLOWED_IPS`).
struct PayeerWebhook: WebhookHandling {
    let configuration: PayeerConfiguration
    let signature: PayeerSignature
    var ledgerID: String { PayeerGateway.ledgerID }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<PayeerNotification> {
        try configuration.allowedIPs.admit(context.request.remoteAddress, variable: "PAYEER_ALLOWED_IPS")
        let notification: PayeerNotification
        do {
            notification = try PayeerNotification(fields: PayeerWebhook.fields(context))
            try signature.verify(notification)
        } catch {
            throw WebhookRejection(error)
        }
        guard notification.shop == configuration.shopID else {
            throw WebhookRejection("m_shop \(notification.shop) is not PAYEER_SHOP_ID")
        }
        // Handled from the signed fields alone: a duplicate is turned into a no-op by the event's unique key.
        return WebhookDelivery(
            event: notification, eventID: notification.operationID, eventType: notification.status, checkFirst: false)
    }

    /// A stored notification's fields, read as `verifiedDelivery` reads them once the signature passed.
    func storedEvent(_ stored: WebhookEventRecord) throws -> PayeerNotification? {
        do {
            return try PayeerNotification(fields: FormEncoding.parse(String(decoding: stored.payload, as: UTF8.self)))
        } catch {
            throw APIError(.badRequest, "stored payload is not a Payeer notification: \(error)")
        }
    }

    /// The operation's fact. `success` pays the session that `m_orderid` names, for exactly its amount in USD (a
    /// mismatch goes to an operator); `fail` closes it; other statuses leave it open. A signed payment for an order
    /// this backend never created goes to an operator.
    func facts(for notification: PayeerNotification, settlement: Settlement, logger: Logger) throws
        -> [SettlementFact]
    {
        guard
            let session = try settlement.ledger.session(gateway: ledgerID, externalID: notification.orderID)
        else {
            guard notification.isSuccess else { return [.ignored(reason: "unknown-order")] }
            return [
                .needsOperator(
                    SettlementFact.OperatorNote(
                        reference: notification.paymentID, reason: "unknown-order",
                        detail:
                            "m_orderid=\(notification.orderID) amount=\(notification.amountText) "
                            + "currency=\(notification.currency)"))
            ]
        }
        switch notification.status {
        case "success":
            return [
                .exactPayment(
                    id: notification.paymentID, of: session, amount: notification.amount,
                    currency: notification.currency, text: notification.amountText)
            ]
        case "fail":
            return [.sessionClosed(session, .failed, reason: "fail")]
        default:
            return [.open(reason: "not-paid", session: session)]
        }
    }

    /// `<m_orderid>|success` for every settled or duplicate notification, operator items included, so Payeer stops
    /// retrying.
    func acknowledgement(for notification: PayeerNotification, result: SettlementResult) -> APIResponse {
        .text(PayeerNotification.answer(orderID: notification.orderID, accepted: true))
    }

    /// `<m_orderid>|error` with the refusal's status (401, or 403 for the allow-list), as Payeer's handlers answer.
    func rejectionResponse(_ error: APIError, context: RequestContext) throws -> APIResponse {
        // The order id is echoed only when it could be one of ours: short printable ASCII, never text of any length.
        let received = PayeerNotification.orderID(in: PayeerWebhook.fields(context))
        let orderID =
            received.count <= 64 && received.unicodeScalars.allSatisfy { (0x21..<0x7F).contains($0.value) }
            ? received : ""
        return .text(PayeerNotification.answer(orderID: orderID, accepted: false), status: error.code.status)
    }

    /// The form fields of the POSTed body, in order.
    private static func fields(_ context: RequestContext) -> [(String, String)] {
        FormEncoding.parse(String(decoding: context.request.body, as: UTF8.self))
    }
}

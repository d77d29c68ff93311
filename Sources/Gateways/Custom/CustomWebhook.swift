import Logging
import PaymentsCore

/// Handles `<id>-handleWebhookEvents` of an operator-configured gateway (DESIGN §2): source check, the configured
/// signature scheme, then the notification's facts, acted on from the signed body alone (there is no API to re-read).
struct CustomWebhook: WebhookHandling {
    let configuration: CustomGatewayConfiguration
    var ledgerID: String { configuration.id }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<CustomNotification> {
        let request = context.request
        try configuration.allowedIPs.admit(
            request.remoteAddress, variable: CustomGatewayConfiguration.variable(configuration.id, "ALLOWED_IPS"))
        let signature = configuration.signature
        let webhookID: String?
        do {
            webhookID = try signature.verify(body: request.body, now: context.services.now, header: request.header)
        } catch {
            throw WebhookRejection(error)
        }
        let notification: CustomNotification
        do {
            notification = try CustomNotification(
                body: request.body, webhookID: webhookID, configuration: configuration)
        } catch {
            throw APIError(.badRequest, "\(configuration.id) notification: \(error.problem)")
        }
        let headerNames =
            signature.scheme == .standard
            ? [
                CustomWebhookSignature.webhookIDHeader, CustomWebhookSignature.webhookTimestampHeader,
                CustomWebhookSignature.webhookSignatureHeader,
            ] : [signature.header]
        return WebhookDelivery(
            event: notification, eventID: notification.eventID, eventType: notification.status,
            signatureHeaders: headerNames.compactMap { name in request.header(name).map { (name, $0) } },
            checkFirst: false)
    }

    /// A stored notification, read as `verifiedDelivery` reads it once the signature passed (the `webhook-id` of
    /// the `standard` scheme comes from the stored headers).
    func storedEvent(_ stored: WebhookEventRecord) throws -> CustomNotification? {
        let webhookID = stored.headers.first { $0.0.lowercased() == CustomWebhookSignature.webhookIDHeader }?.1
        do {
            return try CustomNotification(body: stored.payload, webhookID: webhookID, configuration: configuration)
        } catch {
            throw APIError(.badRequest, "stored \(configuration.id) notification: \(error.problem)")
        }
    }

    /// The facts of one verified notification: paid credits the session's own amount once, failed closes it, a refund
    /// takes money back from the credited payment; a notification naming no session of this gateway, a second payment
    /// of a credited session or a refund of another session's payment is an operator item; other statuses are
    /// recorded without effect.
    func facts(for notification: CustomNotification, settlement: Settlement, logger: Logger) throws
        -> [SettlementFact]
    {
        let id = configuration.id
        guard notification.statusClass != .other else { return [.ignored(reason: "ignored")] }
        let reference = notification.sessionRef ?? ""
        let stored = try settlement.ledger.session(publicID: reference)
        guard let session = stored, session.gateway == id else {
            guard notification.statusClass != .failed else { return [.ignored(reason: "unknown-session")] }
            let own = notification.statusClass == .refund ? notification.refundID : notification.paymentID
            return [
                .needsOperator(
                    .init(
                        reference: "\(id)-\(own ?? notification.eventID)", reason: "unknown-session",
                        detail: "session=\(reference) status=\(notification.status)"))
            ]
        }
        switch notification.statusClass {
        case .paid: return [try paid(notification, session: session, settlement: settlement)]
        case .refund: return [try refund(notification, session: session, settlement: settlement)]
        case .failed, .other:
            let status = SessionStatus(rawValue: notification.status)
            let closed: SessionStatus = status == .expired || status == .canceled ? (status ?? .failed) : .failed
            return [.sessionClosed(session, closed, reason: "closed")]
        }
    }

    private func paid(_ notification: CustomNotification, session: PaymentSession, settlement: Settlement) throws
        -> SettlementFact
    {
        let paymentID = "\(configuration.id)-\(notification.paymentID ?? "")"
        let amount = notification.amount
        // A second payment for a session already credited is the engine's (and the ledger's) `second-payment`.
        return .paid(
            SettlementFact.Payment(
                id: paymentID, payer: .session(session),
                amount: ReportedMoney(
                    cents: amount?.cents, currency: notification.currency ?? "",
                    text: amount?.decimalString ?? "?"),
                rule: .atLeastSession))
    }

    private func refund(_ notification: CustomNotification, session: PaymentSession, settlement: Settlement) throws
        -> SettlementFact
    {
        let id = configuration.id
        let refundID = "\(id)-\(notification.refundID ?? "")"
        let money = ReportedMoney(
            cents: notification.refundAmount?.cents, currency: notification.currency ?? "USD",
            text: notification.refundAmount?.decimalString ?? "?")
        guard let paid = notification.paymentID else {
            return .needsOperator(
                .init(reference: refundID, reason: "unknown-refund", detail: "session=\(session.publicID)"))
        }
        let paymentID = "\(id)-\(paid)"
        let booked = try settlement.ledger.entry(paymentID: paymentID)
        if let booked, booked.sessionID != session.id {
            return .needsOperator(
                .init(
                    reference: refundID, reason: "unknown-refund",
                    detail: "payment=\(paymentID) is not session=\(session.publicID)"))
        }
        // A closed session that was never credited will not be: no retry can book this refund.
        if booked == nil, !session.status.isOpen, session.status != .paid, session.status != .refunded {
            return .needsOperator(
                .init(
                    reference: refundID, reason: "refund-without-credit",
                    detail: "payment=\(paymentID) session=\(session.publicID) status=\(session.status.rawValue)"))
        }
        // A refund of exactly what was credited also marks the session refunded.
        let whole = booked != nil && money.isUSD && money.cents == booked?.amount.cents
        return .refunded(
            SettlementFact.Refund(
                id: refundID, paymentID: paymentID, kind: .refund, amount: whole ? .wholePayment : .reported(money)))
    }
}

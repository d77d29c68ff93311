import Logging
import PaymentsCore

/// Handles `paypal-handleWebhookEvents`: verify offline, then apply each event type's effect once (DESIGN §1.2).
struct PayPalWebhook: Sendable {
    let signature: PayPalSignature
    let settlement: PayPalSettlement
    let clock: @Sendable () -> Int64
    static let ledgerID = PayPalSettlement.ledgerID

    func handle(_ context: RequestContext) throws -> APIResponse {
        let intake = WebhookIntake(context, gateway: PayPalWebhook.ledgerID)
        do {
            try signature.verify(header: { context.request.header($0) }, body: context.request.body, now: clock())
        } catch let failure as PayPalSignature.Failure {
            throw intake.rejected(failure)
        }
        guard let json = try? JSONValue.parse(context.request.body), let event = PayPalEvent(json) else {
            throw APIError(.badRequest, "body is not a PayPal event")
        }
        var logger = context.logger
        logger[metadataKey: "event.id"] = "\(event.id)"
        let headers = PayPalSignature.headerNames.compactMap { name in context.request.header(name).map { (name, $0) } }
        guard let record = try intake.record(eventID: event.id, eventType: event.eventType, signatureHeaders: headers)
        else {
            return .received
        }
        return intake.acknowledge(try process(event, record: record, ledger: context.ledger, logger: logger))
    }

    /// Applies one verified event; everything it cannot act on is recorded and acknowledged.
    func process(_ event: PayPalEvent, record: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws
        -> LedgerOutcome
    {
        switch event.eventType {
        case "PAYMENT.CAPTURE.COMPLETED":
            guard let signed = PayPalCapture(event.resource) else { return try ignore(record, ledger: ledger) }
            if try ledger.entry(paymentID: signed.id) != nil {
                return try settlement.record(record, outcome: "already-credited", ledger: ledger)
            }
            // The body is signed, but a capture can still change: credit what PayPal reports now.
            let current = try settlement.api.capture(signed.id)
            guard let session = try settlement.session(forCustomID: current.customID, ledger: ledger) else {
                return try settlement.record(record, outcome: "not-ours", ledger: ledger)
            }
            return try settlement.settle(current, session: session, event: record, ledger: ledger).1
        case "PAYMENT.CAPTURE.DENIED":
            guard let signed = PayPalCapture(event.resource) else { return try ignore(record, ledger: ledger) }
            let customID = try signed.customID ?? settlement.api.capture(signed.id).customID
            guard let session = try settlement.session(forCustomID: customID, ledger: ledger) else {
                return try settlement.record(record, outcome: "not-ours", ledger: ledger)
            }
            if try ledger.entry(paymentID: signed.id) != nil {
                return try settlement.record(record, outcome: "denied-after-credit", ledger: ledger)
            }
            return try settlement.record(record, outcome: "denied", ledger: ledger, session: session, status: .failed)
        case "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED":
            guard let refund = PayPalRefund(event.resource) else { return try ignore(record, ledger: ledger) }
            return try book(refund, reversal: event.eventType.hasSuffix("REVERSED"), record: record, ledger: ledger)
        default:
            return try ignore(record, ledger: ledger)
        }
    }

    /// One negative row per refund / reversal id, exactly its amount, once final (DESIGN §1.5); the store caps it at
    /// the credit and a refund before its payment asks PayPal to retry (503).
    func book(_ refund: PayPalRefund, reversal: Bool, record: WebhookEventRecord, ledger: any Ledger) throws
        -> LedgerOutcome
    {
        guard let captureID = refund.captureID, let amount = refund.amount else {
            return try ignore(record, ledger: ledger)
        }
        guard amount.currency == "USD", let cents = amount.cents, cents > 0 else {
            let item = OperatorItem(
                gateway: PayPalWebhook.ledgerID, reference: refund.id, reason: "non-usd-refund",
                payload: "currency=\(amount.currency) value=\(amount.value) capture=\(captureID)")
            return try ledger.apply(LedgerEffect(event: record.withOutcome("non-usd"), operatorItems: [item]))
        }
        let final =
            reversal ? !["PENDING", "FAILED", "CANCELLED"].contains(refund.status) : refund.status == "COMPLETED"
        guard final else { return try settlement.record(record, outcome: "not-final", ledger: ledger) }
        guard let payment = try ledger.entry(paymentID: captureID) else {
            throw LedgerError(
                .refundTargetMissing, "\(reversal ? "reversal" : "refund") \(refund.id) arrived before its payment")
        }
        let entry = LedgerEntry(
            paymentID: refund.id, uid: payment.uid, gateway: PayPalWebhook.ledgerID, amount: Money(cents: -cents),
            sessionID: payment.sessionID, refundOf: captureID)
        return try ledger.apply(
            LedgerEffect(event: record.withOutcome(reversal ? "reversed" : "refunded"), entries: [entry]))
    }

    private func ignore(_ record: WebhookEventRecord, ledger: any Ledger) throws -> LedgerOutcome {
        try ledger.apply(LedgerEffect(event: record.withOutcome("ignored")))
    }
}

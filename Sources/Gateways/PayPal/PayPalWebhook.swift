import Logging
import PaymentsCore

/// Handles `paypal-handleWebhookEvents`: verify offline, then apply each event type's effect once (DESIGN §1.2).
///
/// PayPal's signature covers the body only through a CRC-32 (`PayPalSignature`), so nothing that changes money or a
/// session is taken from the body: only the resource id (and the capture it names) is read there, and the capture,
/// refund or reversal is re-read from PayPal's API and acted on as PayPal reports it (issue 6, defect 3). A resource
/// PayPal does not know, or one whose id, capture, amount or currency differs from the body, means the body is not
/// PayPal's: it is refused like a bad signature, 401 with nothing stored (PayPal retries any non-2xx, so a genuine
/// delivery that raced PayPal's own read-after-write is delivered again). PayPal not answering the re-read is 5xx.
struct PayPalWebhook: Sendable {
    /// A body that PayPal's API contradicts: answered 401 like a failed signature, never stored.
    struct Unvouched: Error, CustomStringConvertible {
        let description: String
    }

    let signature: PayPalSignature
    let settlement: PayPalSettlement
    let clock: @Sendable () -> Int64
    static let ledgerID = PayPalSettlement.ledgerID
    /// PayPal ids are 17 to 20 characters; anything far longer is not re-read.
    static let maxResourceIDLength = 64

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
        do {
            return intake.acknowledge(try process(event, record: record, ledger: context.ledger, logger: logger))
        } catch let unvouched as Unvouched {
            throw intake.rejected(unvouched)
        }
    }

    /// Applies one verified event; everything it cannot act on is recorded and acknowledged.
    func process(_ event: PayPalEvent, record: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws
        -> LedgerOutcome
    {
        guard let resourceID = event.resource["id"]?.stringValue, !resourceID.isEmpty else {
            return try ignore(record, ledger: ledger)
        }
        switch event.eventType {
        case "PAYMENT.CAPTURE.COMPLETED":
            if try ledger.entry(paymentID: resourceID) != nil {
                return try settlement.record(record, outcome: "already-credited", ledger: ledger)
            }
            // A capture can still change: credit what PayPal reports now.
            let current = try reread(resourceID) { try settlement.api.capture(resourceID) }
            guard let session = try settlement.session(forCustomID: current.customID, ledger: ledger) else {
                return try settlement.record(record, outcome: "not-ours", ledger: ledger)
            }
            return try settlement.settle(current, session: session, event: record, ledger: ledger).1
        case "PAYMENT.CAPTURE.DENIED":
            let current = try reread(resourceID) { try settlement.api.capture(resourceID) }
            guard current.status == "DECLINED" || current.status == "FAILED" else {
                throw Unvouched(description: "paypal reports capture \(resourceID) as \(current.status), not denied")
            }
            guard let session = try settlement.session(forCustomID: current.customID, ledger: ledger) else {
                return try settlement.record(record, outcome: "not-ours", ledger: ledger)
            }
            if try ledger.entry(paymentID: resourceID) != nil {
                return try settlement.record(record, outcome: "denied-after-credit", ledger: ledger)
            }
            return try settlement.record(record, outcome: "denied", ledger: ledger, session: session, status: .failed)
        case "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED":
            let current = try reread(resourceID) { try settlement.api.refund(resourceID) }
            if let difference = Self.difference(claimed: event.resource, current: current) {
                throw Unvouched(description: "paypal reports refund \(resourceID) with another \(difference)")
            }
            return try book(current, reversal: event.eventType.hasSuffix("REVERSED"), record: record, ledger: ledger)
        default:
            return try ignore(record, ledger: ledger)
        }
    }

    /// Reads a resource named by the body from PayPal; one PayPal does not know (or will not show this account) is
    /// `Unvouched`, any other failure propagates (5xx: PayPal retries).
    private func reread<T>(_ id: String, _ read: () throws -> T) throws -> T {
        guard id.count <= Self.maxResourceIDLength else {
            throw Unvouched(description: "resource id of \(id.count) characters")
        }
        do {
            return try read()
        } catch let failure as PayPalAPI.Failure where [400, 403, 404].contains(failure.status) {
            throw Unvouched(description: "paypal answered \(failure.status) for \(id)")
        }
    }

    /// What of the body's refund or reversal PayPal's copy contradicts (its id, the capture, the amount), or nil.
    static func difference(claimed: JSONValue, current: PayPalRefund) -> String? {
        if claimed["id"]?.stringValue != current.id { return "id" }
        if let capture = PayPalLinks.lastSegment(PayPalLinks.href(claimed, rel: "up")), capture != current.captureID {
            return "capture"
        }
        if let amount = PayPalMoney(claimed["amount"]) {
            guard let actual = current.amount, amount.currency == actual.currency else { return "currency" }
            if amount.cents.map({ $0 != actual.cents }) ?? (amount.value != actual.value) { return "amount" }
        }
        return nil
    }

    /// One negative row per refund / reversal id, exactly its amount, once final (DESIGN §1.5); the store caps it at
    /// the credit and a refund before its payment asks PayPal to retry (503). `refund` is PayPal's copy.
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

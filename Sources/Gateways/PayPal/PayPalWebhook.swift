import Logging
import PaymentsCore

/// Handles `paypal-handleWebhookEvents`: verify offline, then apply each event type's effect once (DESIGN §1.2).
///
/// PayPal's signature covers the body only through a CRC-32 (`PayPalSignature`), so nothing that changes money or a
/// session is taken from the body: only the resource id (and the capture it names) is read there, and the capture,
/// refund or reversal is re-read from PayPal's API and acted on as PayPal reports it (issue 6, defect 3). A resource
/// PayPal does not know, or one whose id, capture, amount or currency differs from the body, means the body is not
/// PayPal's: it is refused like a bad signature (`WebhookRejection`), 401 with nothing stored (PayPal retries any non-2xx, so a genuine
/// delivery that raced PayPal's own read-after-write is delivered again). PayPal not answering the re-read is 5xx.
struct PayPalWebhook: WebhookHandling {
    let signature: PayPalSignature
    let orders: PayPalOrders
    let clock: @Sendable () -> Int64
    var ledgerID: String { PayPalGateway.ledgerID }
    /// PayPal ids are 17 to 20 characters; anything far longer is not re-read.
    static let maxResourceIDLength = 64

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<PayPalEvent> {
        do {
            try signature.verify(header: { context.request.header($0) }, body: context.request.body, now: clock())
        } catch let failure as PayPalSignature.Failure {
            throw WebhookRejection(failure)
        }
        guard let json = try? JSONValue.parse(context.request.body), let event = PayPalEvent(json) else {
            throw APIError(.badRequest, "body is not a PayPal event")
        }
        let headers = PayPalSignature.headerNames.compactMap { name in context.request.header(name).map { (name, $0) } }
        return WebhookDelivery(event: event, eventID: event.id, eventType: event.eventType, signatureHeaders: headers)
    }

    /// A stored event, read as `verifiedDelivery` reads a delivery once its signature passed.
    func storedEvent(_ stored: WebhookEventRecord) throws -> PayPalEvent? {
        guard let json = try? JSONValue.parse(stored.payload), let event = PayPalEvent(json) else {
            throw APIError(.badRequest, "stored payload is not a PayPal event")
        }
        return event
    }

    /// The facts of one verified event, from PayPal's own copy of the resource; everything it cannot act on is
    /// ignored (recorded and acknowledged).
    func facts(for event: PayPalEvent, settlement: Settlement, logger: Logger) throws -> [SettlementFact] {
        guard let resourceID = event.resource["id"]?.stringValue, !resourceID.isEmpty else {
            return [.ignored(reason: "ignored")]
        }
        switch event.eventType {
        case "PAYMENT.CAPTURE.COMPLETED":
            if try settlement.isBooked(resourceID) { return [.ignored(reason: "already-credited")] }
            // A capture can still change: credit what PayPal reports now.
            let current = try reread(resourceID) { try orders.api.capture(resourceID) }
            guard let session = try orders.session(forCustomID: current.customID, ledger: settlement.ledger) else {
                return [.ignored(reason: "not-ours")]
            }
            return [orders.fact(current, session: session)]
        case "PAYMENT.CAPTURE.DENIED":
            let current = try reread(resourceID) { try orders.api.capture(resourceID) }
            guard current.status == "DECLINED" || current.status == "FAILED" else {
                throw WebhookRejection("paypal reports capture \(resourceID) as \(current.status), not denied")
            }
            guard let session = try orders.session(forCustomID: current.customID, ledger: settlement.ledger) else {
                return [.ignored(reason: "not-ours")]
            }
            if try settlement.isBooked(resourceID) { return [.ignored(reason: "denied-after-credit")] }
            return [.sessionClosed(session, .failed, reason: "denied")]
        case "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED":
            let current = try reread(resourceID) { try orders.api.refund(resourceID) }
            if let difference = Self.difference(claimed: event.resource, current: current) {
                throw WebhookRejection("paypal reports refund \(resourceID) with another \(difference)")
            }
            return [Self.fact(current, reversal: event.eventType.hasSuffix("REVERSED"))]
        default:
            return [.ignored(reason: "ignored")]
        }
    }

    /// Reads a resource named by the body from PayPal; one PayPal does not know (or will not show this account) is
    /// rejected, any other failure propagates (5xx: PayPal retries).
    private func reread<T>(_ id: String, _ read: () throws -> T) throws -> T {
        guard id.count <= Self.maxResourceIDLength else {
            throw WebhookRejection("resource id of \(id.count) characters")
        }
        do {
            return try read()
        } catch let failure as PayPalAPI.Failure where [400, 403, 404].contains(failure.status) {
            throw WebhookRejection("paypal answered \(failure.status) for \(id)")
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

    /// A refund or reversal (PayPal's copy) takes its own amount back from the capture once final (DESIGN §1.5).
    static func fact(_ refund: PayPalRefund, reversal: Bool) -> SettlementFact {
        guard let captureID = refund.captureID, let amount = refund.amount else { return .ignored(reason: "ignored") }
        let final =
            reversal ? !["PENDING", "FAILED", "CANCELLED"].contains(refund.status) : refund.status == "COMPLETED"
        guard final else { return .open(reason: "not-final", session: nil) }
        return .refunded(
            SettlementFact.Refund(
                id: refund.id, paymentID: captureID, kind: reversal ? .reversal : .refund,
                amount: .reported(ReportedMoney(cents: amount.cents, currency: amount.currency, text: amount.value))))
    }
}

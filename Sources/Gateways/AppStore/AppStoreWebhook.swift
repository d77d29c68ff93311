import Logging
import PaymentsCore

/// Handles `appstore-handleWebhookEvents`: App Store Server Notifications V2 (`{"signedPayload"}`), verified as
/// Apple's `SignedDataVerifier` does, deduplicated on `notificationUUID` (DESIGN §6).
///
/// - `REFUND`: one negative row `<transactionId>-refund` per refunded transaction, however many notifications say
///   so; the whole credit, or its `revocationPercentage` for a prorated refund. A refund of a purchase never
///   credited here books nothing (recorded as `not-credited`): a revoked transaction can no longer be credited.
/// - `REFUND_REVERSED`: gives the booked refund back as `<transactionId>-refund-reversed`, once. Before the refund
///   is booked (notifications out of order) it answers 503 so that Apple retries; for a purchase never credited it
///   books nothing.
/// - Anything else (`TEST`, `CONSUMPTION_REQUEST`, `REFUND_DECLINED`, …) is recorded without effect.
struct AppStoreWebhook: WebhookHandling {
    /// A verified notification and its verified transaction (`data.signedTransactionInfo`), when it has one.
    struct Event {
        let notification: AppStoreNotification
        let transaction: AppStoreTransaction?
    }

    /// A reversal whose refund is not booked yet: answered 503 so that Apple delivers it again later.
    struct RefundNotBooked: APIErrorConvertible, CustomStringConvertible {
        let transactionID: String
        var description: String { "refund reversal of \(transactionID) arrived before its refund" }
        var apiError: APIError { APIError(.circuitOpen, "the refund is not booked yet, retry later") }
    }

    let verifier: AppStoreSignedDataVerifier
    var ledgerID: String { AppStoreGateway.ledgerID }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<Event> {
        guard let body = try? JSONValue.parse(context.request.body),
            let signedPayload = body["signedPayload"]?.stringValue, !signedPayload.isEmpty
        else { throw APIError.badField("signedPayload") }
        let event: Event
        do {
            let notification = try verifier.verifyNotification(signedPayload)
            let transaction = try notification.signedTransactionInfo.map(verifier.verifyTransaction)
            event = Event(notification: notification, transaction: transaction)
        } catch {
            throw WebhookRejection(error)
        }
        return WebhookDelivery(
            event: event, eventID: event.notification.notificationUUID,
            eventType: event.notification.rawNotificationType)
    }

    /// A stored notification: its JWS is self-contained, so it is read through the same verifier again.
    func storedEvent(_ stored: WebhookEventRecord) throws -> Event? {
        guard let body = try? JSONValue.parse(stored.payload), let signedPayload = body["signedPayload"]?.stringValue
        else { throw APIError(.badRequest, "stored payload has no signedPayload") }
        do {
            let notification = try verifier.verifyNotification(signedPayload)
            let transaction = try notification.signedTransactionInfo.map(verifier.verifyTransaction)
            return Event(notification: notification, transaction: transaction)
        } catch {
            throw APIError(.badRequest, "stored App Store notification does not verify any more: \(error)")
        }
    }

    func facts(for event: Event, settlement: Settlement, logger: Logger) throws -> [SettlementFact] {
        guard let transaction = event.transaction else { return [.ignored(reason: "ignored")] }
        let paymentID = transaction.transactionID
        let refundID = Self.refundID(of: paymentID)
        switch event.notification.rawNotificationType {
        case "REFUND":
            guard let payment = try settlement.ledger.entry(paymentID: paymentID) else {
                logger.notice(
                    "appstore refund of a purchase never credited here", metadata: ["payment.id": "\(paymentID)"])
                return [.ignored(reason: "not-credited")]
            }
            let amount = Self.refundedAmount(transaction, credited: payment.amount)
            return [.refunded(.init(id: refundID, paymentID: paymentID, kind: .refund, amount: amount))]
        case "REFUND_REVERSED":
            if try settlement.isBooked(refundID) {
                return [.refundReversed(refundID: refundID, paymentID: paymentID)]
            }
            guard try !settlement.isBooked(paymentID) else { throw RefundNotBooked(transactionID: paymentID) }
            return [.ignored(reason: "not-credited")]
        default:
            return [.ignored(reason: "ignored")]
        }
    }

    /// The `payment_id` of a transaction's refund row (DESIGN §6: derived rows add a suffix).
    static func refundID(of transactionID: String) -> String { "\(transactionID)-refund" }

    /// The whole credit, or for `REFUND_PRORATED` its `revocationPercentage` (thousandths of a percent), rounded to
    /// the nearest cent.
    static func refundedAmount(_ transaction: AppStoreTransaction, credited: Money) -> SettlementFact.Refund.Amount {
        guard transaction.json["revocationType"]?.stringValue == "REFUND_PRORATED",
            let share = transaction.json["revocationPercentage"]?.int64Value, (0..<100_000).contains(share)
        else { return .wholePayment }
        let cents = (credited.cents * share + 50_000) / 100_000
        return .reported(ReportedMoney(cents: cents, currency: "USD", text: "\(share)/100000 of \(credited.cents)"))
    }
}

import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// The Stripe operator commands in process: what they send to Stripe and what they book, against the webhook
/// path's own booking of the same objects.
@Suite struct StripeOperatorTests {
    let logger = Logger(label: "test")

    /// A credited intent of `amount` and its ledger row.
    private func credited(_ h: StripeHarness, amount: Int) throws -> StoredLedgerEntry {
        let id = try h.createIntent(amount: amount)
        h.stripe.authorize(id)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        return try #require(try h.ledger.entry(paymentID: id))
    }

    private func request(_ payment: StoredLedgerEntry, cents: Int64, reason: String = "goodwill") -> OperatorRefund {
        OperatorRefund(
            payment: payment, amount: Money(cents: cents), remaining: payment.amount, reason: reason)
    }

    @Test func aRefundSendsItsKeyAndReasonAndIsBookedOnceWithItsWebhook() throws {
        let h = try StripeHarness()
        let payment = try credited(h, amount: 2000)
        let refund = request(payment, cents: 600)
        let outcome = try h.gateway.refund(refund, ledger: h.ledger, logger: logger)
        let sent = try #require(h.stripe.state.withLock { $0.refundRequests.first })
        #expect(sent["payment_intent"] == payment.paymentID && sent["amount"] == "600")
        #expect(sent["metadata[operator_reason]"] == "goodwill")
        #expect(outcome.gatewayStatus == "succeeded" && outcome.settlement.verdict == .refunded)
        #expect(h.ledger.rows.map(\.amount.cents) == [2000, -600])
        #expect(h.ledger.rows.last?.paymentID == outcome.reference)

        // Stripe's webhook about the same refund meets the row's unique key.
        let object = try #require(h.stripe.state.withLock { $0.refunds[outcome.reference] })
        _ = try h.deliver(type: "refund.created", object: object)
        #expect(h.ledger.rows.count == 2)

        // The same command again: the same Idempotency-Key, Stripe's stored answer, nothing new.
        let again = try h.gateway.refund(refund, ledger: h.ledger, logger: logger)
        #expect(again.reference == outcome.reference && again.settlement.ledger.alreadyPresent == [outcome.reference])
        #expect(h.stripe.state.withLock { $0.refundRequests.count } == 1 && h.ledger.rows.count == 2)
    }

    @Test func aPendingRefundIsBookedByItsWebhookOnly() throws {
        let h = try StripeHarness()
        let payment = try credited(h, amount: 2000)
        h.stripe.state.withLock { $0.newRefundStatus = "pending" }
        let outcome = try h.gateway.refund(request(payment, cents: 2000), ledger: h.ledger, logger: logger)
        #expect(outcome.gatewayStatus == "pending" && outcome.settlement.verdict == .open)
        #expect(h.ledger.rows.count == 1)
        let succeeded = try #require(h.stripe.state.withLock { $0.refunds[outcome.reference] })
            .setting("status", .string("succeeded"))
        h.stripe.setRefund(succeeded)
        _ = try h.deliver(type: "refund.updated", object: succeeded)
        #expect(h.ledger.rows.map(\.amount.cents) == [2000, -2000])
    }

    @Test func captureAndCancelActOnlyOnAnIntentStillAwaitingCapture() throws {
        let h = try StripeHarness()
        let held = try h.createIntent(amount: 1500)
        h.stripe.authorize(held, review: true)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(held).json)
        let session = try #require(try h.ledger.session(gateway: "stripe", externalID: held))
        #expect(session.status == .review && h.ledger.rows.isEmpty)
        let captured = try h.gateway.capture(session, ledger: h.ledger, logger: logger)
        #expect(captured.settlement.verdict == .credited && h.ledger.rows.map(\.amount.cents) == [1500])
        #expect(try h.ledger.session(gateway: "stripe", externalID: held)?.status == .paid)
        #expect(throws: OperatorCommandError.self) { try h.gateway.cancel(session, ledger: h.ledger, logger: logger) }

        let other = try h.createIntent(amount: 1700)
        h.stripe.authorize(other, review: true)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(other).json)
        let second = try #require(try h.ledger.session(gateway: "stripe", externalID: other))
        let canceled = try h.gateway.cancel(second, ledger: h.ledger, logger: logger)
        #expect(canceled.gatewayStatus == "canceled" && h.stripe.intent(other).status == "canceled")
        #expect(try h.ledger.session(gateway: "stripe", externalID: other)?.status == .canceled)
        #expect(h.ledger.rows.count == 1)
    }

    @Test func aReplayedEventIsSettledAgainWithoutItsEventRow() throws {
        let h = try StripeHarness()
        let id = try h.createIntent(amount: 1200)
        h.stripe.setIntent(id) { $0.setting("status", .string("succeeded")).setting("amount_received", .int(1200)) }
        let payload = JSONValue.object([
            ("id", .string("evt_replay")), ("object", .string("event")), ("type", .string("payment_intent.succeeded")),
            ("data", .object([("object", h.stripe.intent(id).json)])),
        ]).serialized()
        let stored = WebhookEventRecord(
            gateway: "stripe", eventID: "evt_replay", eventType: "payment_intent.succeeded",
            payload: Array(payload.utf8), headers: [], outcome: "ignored")
        let first = try h.gateway.replay(stored, ledger: h.ledger, logger: logger)
        #expect(first.outcome == "credited" && first.ledger.insertedRows.map(\.paymentID) == [id])
        let second = try h.gateway.replay(stored, ledger: h.ledger, logger: logger)
        #expect(second.ledger.insertedRows.isEmpty && second.ledger.alreadyPresent == [id])
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
        var broken = stored
        broken.payload = Array("{}".utf8)
        #expect(throws: APIError.self) { try h.gateway.replay(broken, ledger: h.ledger, logger: logger) }
    }
}

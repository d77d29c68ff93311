import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Stripe refunds are booked from Stripe's current answer, and only against a Stripe payment (issue 6, items 4
    /// and 5).
    @Suite("Stripe refunds: re-read and gateway integrity", .serialized)
    struct StripeRefundIntegrityTests {
        /// The ids of the sandbox's events of `type` for the intent.
        static func eventIDs(_ stack: Stack, intentID: String, type: String) throws -> [String] {
            try stack.sandbox.events(intentID: intentID).map(Sandbox.event(ofRecord:)).filter {
                $0["type"]?.stringValue == type
            }.compactMap { $0["id"]?.stringValue }
        }

        @Test("refund.failed first, then a stale signed refund.created saying succeeded: nothing is debited")
        func staleSucceededSnapshotOfAFailedRefund() throws {
            let stack = try Stack.connect()
            let (uid, _, intentID) = try stack.paidIntent(amount: 3000, tag: "stale-refund")
            let refund = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(intentID, amount: 1200, deliver: false), prefix: "re_")
            let created = try #require(try Self.eventIDs(stack, intentID: intentID, type: "refund.created").first)
            let refunded = try #require(try Self.eventIDs(stack, intentID: intentID, type: "charge.refunded").first)

            try stack.sandbox.refundUpdate(refund, status: "failed")
            let failed = try #require(try stack.waitForDelivery(intentID: intentID, type: "refund.failed").first)
            #expect(try stack.db.webhookEvent(eventID: failed)?.outcome == "no-change")

            // Stripe retries the older events, whose snapshots still say the refund succeeded.
            try stack.sandbox.redeliver(eventID: created)
            try stack.sandbox.redeliver(eventID: refunded)
            _ = try stack.waitForDelivery(intentID: intentID, type: "refund.created")
            _ = try stack.waitForDelivery(intentID: intentID, type: "charge.refunded")
            #expect(try stack.db.webhookEvent(eventID: created)?.outcome == "no-change")
            #expect(try stack.db.webhookEvent(eventID: refunded)?.outcome == "no-change")
            #expect(try stack.db.ledgerRow(paymentID: refund) == nil, "a failed refund was debited")
            #expect(try stack.db.ledgerRow(paymentID: "\(refund)-reversed") == nil)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.paymentID) == [intentID])
        }

        @Test(
            "a signed Stripe refund naming a Cryptomus payment is 500 InternalServerErrorException and writes nothing")
        func refundAcrossGateways() throws {
            let stack = try Stack.connect()
            let crypto = CryptomusStack(stack: stack)
            let (uid, token) = try stack.newUser("cross-gateway")
            let uuid = try crypto.create(token: token, amount: 2500)
            try crypto.status(uuid, "paid")
            #expect(try stack.waitForRow(uuid).gateway == "cryptomus")

            // Stripe's API (the sandbox) holds a refund whose payment_intent is the Cryptomus invoice.
            let refundID = "re_itest_\(TestIDs.random(20))"
            let refund = try stack.sandbox.putRefund([
                ("id", .string(refundID)), ("payment_intent", .string(uuid)), ("amount", .int(500)),
            ])
            let event = WebhookSigner.event(type: "refund.created", object: refund)
            let eventID = try #require(event["id"]?.stringValue)
            let answer = try WebhookSigner.deliverSigned(stack.api, body: Array(event.serialized().utf8))
            #expect(answer.status == 500, "\(answer)")
            #expect(answer.errorName == "InternalServerErrorException", "\(answer)")
            #expect(try stack.db.ledgerRow(paymentID: refundID) == nil, "a Stripe refund debited a Cryptomus payment")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.paymentID) == [uuid])
            #expect(try stack.db.webhookEventCount(eventID: eventID) == 0)
            #expect(try stack.db.operatorItemCount(references: [refundID, uuid]) == 0)
        }
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Intent creation, capture and credit through the sandbox's webhook, and the status route (issue 2).
    @Suite("Stripe payments", .serialized)
    struct StripePaymentTests {
        @Test("stripe-getPaymentIntent creates a pending session and a manual-capture intent with our metadata")
        func intentCreation() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("create")
            let result = try stack.api.createIntent(amount: 1234, token: token)
            try #require(result.status == 200, "\(result)")
            let json = try #require(result.json)
            let id = try #require(json["id"]?.stringValue)
            #expect(id.hasPrefix("pi_"))
            #expect(json["clientSecret"]?.stringValue?.isEmpty == false)
            #expect(json["publicKey"]?.stringValue == stack.env.stripePublishableKey)

            let session = try #require(try stack.db.session(externalID: id), "no payment_sessions row for \(id)")
            #expect(session.status == "pending")
            #expect(session.amount == 1234)
            #expect(session.uid == uid)
            #expect(session.currency == "USD")
            #expect(session.publicID.count == 36)
            #expect(try stack.db.sessionCount(uid: uid) == 1)

            let intent = try stack.sandbox.stripeAPI("/v1/payment_intents/\(id)")
            #expect(intent.at("metadata.uid")?.stringValue == uid)
            #expect(intent.at("metadata.session_id")?.stringValue == session.publicID)
            #expect(intent["amount"]?.int64Value == 1234)
            #expect(intent["currency"]?.stringValue == "usd")
            #expect(intent["capture_method"]?.stringValue == "manual")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test("paying in the sandbox captures once, credits once, records the event and syncs to Retail")
        func captureAndCredit() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("credit")
            let intentID = try stack.createIntent(token: token, amount: 2500)
            try stack.sandbox.pay(intentID)

            let row = try stack.waitForRow(intentID)
            #expect(row.amount == 2500)
            #expect(row.gateway == "stripe")
            #expect(row.uid == uid)
            #expect(row.refundOf == nil)
            let session = try #require(try stack.db.session(externalID: intentID))
            #expect(row.sessionID == session.id)

            let eventIDs = try stack.waitForDelivery(
                intentID: intentID, type: "payment_intent.amount_capturable_updated")
            for eventID in eventIDs {
                #expect(try stack.db.webhookEventCount(eventID: eventID) == 1, "webhook_events row for \(eventID)")
                #expect(try stack.db.webhookEvent(eventID: eventID)?.type == "payment_intent.amount_capturable_updated")
            }
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.sandbox.intent(intentID)["status"]?.stringValue == "succeeded")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)

            #expect(try stack.waitForSync(intentID, uid: uid), "row \(intentID) not synced to Retail")
            let retail = try stack.sandbox.retailTransactions(customerID: uid)
            #expect(retail[intentID]?.amount == 2500)
            #expect(retail[intentID]?.appliedCount == 1)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test("status route right after payment (webhook not delivered) captures and answers paid, once")
        func statusRightAfterPayment() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("status")
            let intentID = try stack.createIntent(token: token, amount: 1500)

            let unpaid = try stack.api.intentStatus(intentID, token: token)
            #expect(unpaid.status == 200, "\(unpaid)")
            #expect(unpaid.json?["status"]?.stringValue == "unpaid")

            try stack.sandbox.pay(intentID, deliver: false)
            let paid = try stack.api.intentStatus(intentID, token: token)
            #expect(paid.status == 200, "\(paid)")
            #expect(paid.json?["status"]?.stringValue == "paid")
            #expect(try stack.db.ledgerCount(paymentID: intentID) == 1)
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.amount == 1500)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")

            let again = try stack.api.intentStatus(intentID, token: token)
            #expect(again.json?["status"]?.stringValue == "paid")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.waitForSync(intentID, uid: uid))
        }

        @Test(
            "status route after a full refund answers refunded (also from the ledger alone, Stripe down); after a partial one paid"
        )
        func statusOfRefundedPayment() throws {
            let stack = try Stack.connect()
            let (uid, token, intentID) = try stack.paidIntent(amount: 3100, tag: "refunded")
            let paid = #"{"status":"paid"}"#
            let refunded = #"{"status":"refunded"}"#
            let first = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(intentID, amount: 1000), prefix: "re_")
            #expect(try stack.waitForRow(first).amount == -1000)
            let partly = try stack.api.intentStatus(intentID, token: token)
            #expect(partly.status == 200 && partly.text == paid, "after a partial refund: \(partly)")

            let rest = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(intentID, amount: 2100), prefix: "re_")
            #expect(try stack.waitForRow(rest).amount == -2100)
            let fully = try stack.api.intentStatus(intentID, token: token)
            #expect(fully.status == 200 && fully.text == refunded, "after the full refund: \(fully)")

            try stack.sandbox.failStripe(endpoint: "retrieve", times: 1, status: 500)
            defer { restoring("Stripe retrieve") { try stack.sandbox.failStripe(endpoint: "retrieve", times: 0) } }
            let fromLedger = try stack.api.intentStatus(intentID, token: token)
            #expect(fromLedger.status == 200 && fromLedger.text == refunded, "Stripe down: \(fromLedger)")
            // Stripe back (and the responder's breaker reset by a success): still refunded, nothing written.
            let again = try stack.api.intentStatus(intentID, token: token)
            #expect(again.status == 200 && again.text == refunded, "\(again)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [3100, -1000, -2100])
            #expect(try stack.sandbox.captureCount(intentID) == 1)
        }

        @Test("status route: another user's intent is 404, an unknown id is 404")
        func statusOfOthersIntent() throws {
            let stack = try Stack.connect()
            let (_, ownerToken) = try stack.newUser("owner")
            let intentID = try stack.createIntent(token: ownerToken, amount: 900)
            let (otherUID, otherToken) = try stack.newUser("other")

            let foreign = try stack.api.intentStatus(intentID, token: otherToken)
            #expect(foreign.status == 404, "\(foreign)")
            #expect(foreign.errorName == "NotFoundException")
            let unknown = try stack.api.intentStatus("pi_itest_\(TestIDs.random(20))", token: otherToken)
            #expect(unknown.status == 404, "\(unknown)")
            #expect(unknown.errorName == "NotFoundException")
            #expect(try stack.db.ledgerCount(uid: otherUID) == 0)
            #expect(try stack.sandbox.captureCount(intentID) == 0)
        }
    }
}

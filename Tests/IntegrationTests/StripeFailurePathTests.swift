import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// Where payments fail in production (DESIGN §1.3, issue 13): a capture whose answer is lost after it happened,
    /// a capture whose ledger transaction failed, and webhooks arriving in another order than their effects happened.
    /// Each ends with exactly one capture at Stripe and one credit, never a double credit.
    @Suite("Stripe failure paths", .serialized)
    struct StripeFailurePathTests {
        /// The PaymentIntent's `capture_count` (captures performed) and `capture_attempts` (capture calls received).
        static func captures(_ stack: Stack, _ intentID: String) throws -> (performed: Int64?, attempts: Int64?) {
            let intent = try stack.sandbox.intent(intentID)
            return (intent["capture_count"]?.int64Value, intent["capture_attempts"]?.int64Value)
        }

        /// The capture's answer, after the capture happened, is a 502 or never comes (connection closed). A 502 is
        /// followed by a re-read, which finds the intent succeeded. A closed connection may instead be re-sent at once
        /// by the transport (a reused keep-alive closed before any answer byte looks like a stale one), which the
        /// same `Idempotency-Key` makes a replay of the stored answer. Either way: one capture, one credit.
        @Test(
            "captured, answer lost (webhook path): credited once, never captured again",
            arguments: [502, 0])
        func capturedAnswerLostThroughTheWebhook(_ lostAs: Int) throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("lost-answer")
            let intentID = try stack.createIntent(token: token, amount: 2100)
            try stack.sandbox.failStripe(
                endpoint: "capture", times: 1, status: lostAs, after: true, intentID: intentID)
            try stack.sandbox.pay(intentID)

            let row = try stack.waitForRow(intentID)
            #expect(row.amount == 2100 && row.uid == uid)
            let authorized = try stack.waitForDelivery(
                intentID: intentID, type: "payment_intent.amount_capturable_updated")
            #expect(try authorized.map { try stack.db.webhookEvent(eventID: $0)?.outcome } == ["credited"])
            // Stripe's own payment_intent.succeeded (from the capture) finds the credit in place.
            let succeeded = try stack.waitForDelivery(intentID: intentID, type: "payment_intent.succeeded")
            #expect(succeeded.count == 1)
            #expect(try stack.db.webhookEvent(eventID: succeeded[0])?.outcome == "credited")
            let captures = try Self.captures(stack, intentID)
            #expect(captures.performed == 1, "\(captures)")
            #expect(lostAs == 0 ? (1...2).contains(captures.attempts ?? 0) : captures.attempts == 1, "\(captures)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.paymentID) == [intentID])
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
            #expect(try stack.waitForSync(intentID, uid: uid))
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 2100)
        }

        @Test("captured, answer lost (status route): answers paid after a re-read, one capture, one row")
        func capturedAnswerLostThroughTheStatusRoute() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("lost-status")
            let intentID = try stack.createIntent(token: token, amount: 1600)
            try stack.sandbox.pay(intentID, deliver: false)
            try stack.sandbox.failStripe(endpoint: "capture", times: 1, status: 504, after: true, intentID: intentID)

            let status = try stack.api.intentStatus(intentID, token: token)
            #expect(status.status == 200 && status.json?["status"]?.stringValue == "paid", "\(status)")
            let captures = try Self.captures(stack, intentID)
            #expect(captures.performed == 1 && captures.attempts == 1, "\(captures)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [1600])
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
            _ = try stack.waitForDelivery(intentID: intentID, type: "payment_intent.succeeded")
            let again = try stack.api.intentStatus(intentID, token: token)
            #expect(again.json?["status"]?.stringValue == "paid", "\(again)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try Self.captures(stack, intentID).performed == 1)
        }

        /// The capture succeeds at Stripe, and while its answer is on the way the responder's database connections
        /// are killed (a private stack, so nothing else loses its connection): the ledger transaction fails, the call
        /// answers 503 and writes nothing. Stripe's `payment_intent.succeeded` (held back until then, so the check
        /// of "nothing written" cannot race it) is the next delivery and credits it once; the next call answers paid.
        @Test("captured, commit failed: 503 and nothing written, then credited once by the next delivery")
        func capturedCommitFailed() throws {
            let own = try PrivateStack.start("commitfail", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            let (uid, token) = try stack.newUser("commit-failed")
            let intentID = try stack.createIntent(token: token, amount: 1900)
            try stack.sandbox.pay(intentID, deliver: false)
            try stack.sandbox.hold(intentID)
            try stack.sandbox.stripeLatency(endpoint: "capture", milliseconds: 3000, intentID: intentID)

            let call = BackgroundCall { try stack.api.intentStatus(intentID, token: token) }
            try eventually(timeout: 10, interval: 0.05) { try Self.captures(stack, intentID).attempts == 1 }
            let killed = try stack.db.killOtherConnections()
            #expect(killed > 0, "no responder connection to kill")
            let failed = try #require(call.wait(timeout: 30), "the status call did not answer")
            #expect(failed.status == 503, "\(failed)")
            #expect(failed.errorName == "ServiceUnavailableException", "\(failed)")
            #expect(try Self.captures(stack, intentID).performed == 1)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.session(externalID: intentID)?.status == "pending")

            let released = try stack.sandbox.release(intentID, order: "in-order")
            #expect(released.map(\.type) == ["payment_intent.succeeded"], "\(released)")
            let succeeded = try #require(
                try stack.sandbox.events(intentID: intentID).first {
                    Sandbox.event(ofRecord: $0)["type"]?.stringValue == "payment_intent.succeeded"
                }?["id"]?.stringValue)
            // Each worker may answer one 503 while it drops its dead connection, and the sandbox gives up after six
            // attempts where Stripe retries for days: deliver it again until it is taken.
            try eventually(timeout: 40, interval: 0.2) {
                let record = try stack.sandbox.events(intentID: intentID).first { $0["id"]?.stringValue == succeeded }
                let status = record?["delivery_status"]?.stringValue
                if status == "failed" { try stack.sandbox.redeliver(eventID: succeeded) }
                return status == "delivered"
            }
            #expect(try stack.db.webhookEvent(eventID: succeeded)?.outcome == "credited")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [1900])

            var answer: HTTPResult?
            try eventually(timeout: 30, interval: 0.1) {
                answer = try stack.api.intentStatus(intentID, token: token)
                return answer?.status == 200
            }
            #expect(answer?.json?["status"]?.stringValue == "paid", "\(String(describing: answer))")
            let captures = try Self.captures(stack, intentID)
            #expect(captures.performed == 1 && captures.attempts == 1, "\(captures)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [1900])
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
        }

        @Test("refund events delivered before the payment's: 503 until the payment is booked, then booked once")
        func refundEventsBeforeThePayment() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("ooo-refund")
            let intentID = try stack.createIntent(token: token, amount: 3000)
            try stack.sandbox.hold(intentID)
            try stack.sandbox.pay(intentID, status: "succeeded")
            let refund = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(intentID, amount: 1200), prefix: "re_")
            let released = try stack.sandbox.release(intentID, order: "reverse")
            #expect(
                released.map(\.type) == ["charge.refunded", "refund.created", "payment_intent.succeeded"],
                "\(released)")
            #expect(released.map(\.firstStatus) == [503, 503, 200], "\(released)")

            #expect(try stack.waitForRow(refund, timeout: 20).amount == -1200)
            _ = try stack.waitForDelivery(intentID: intentID, type: "refund.created", timeout: 20)
            _ = try stack.waitForDelivery(intentID: intentID, type: "charge.refunded", timeout: 20)
            let rows = try stack.db.ledgerRows(uid: uid)
            #expect(rows.map(\.paymentID) == [intentID, refund], "\(rows.map(\.paymentID))")
            #expect(rows.map(\.amount) == [3000, -1200])
            #expect(rows.last?.refundOf == rows.first?.id)
            #expect(try stack.db.operatorItemCount(references: [intentID, refund]) == 0)
        }

        @Test("payment_intent.canceled before amount_capturable_updated: no capture, no credit, session canceled")
        func canceledBeforeAuthorized() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("ooo-cancel")
            let intentID = try stack.createIntent(token: token, amount: 1300)
            try stack.sandbox.hold(intentID)
            try stack.sandbox.pay(intentID)
            try stack.sandbox.expire(intentID)
            let released = try stack.sandbox.release(intentID, order: "reverse")
            #expect(
                released.map(\.type) == ["payment_intent.canceled", "payment_intent.amount_capturable_updated"],
                "\(released)")
            #expect(released.map(\.firstStatus) == [200, 200], "\(released)")
            #expect(try stack.db.session(externalID: intentID)?.status == "canceled")
            #expect(try Self.captures(stack, intentID).attempts == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test("a reviewed payment's events reversed: review.closed captures once; the rest finds it done")
        func reviewEventsReversed() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("ooo-review")
            let intentID = try stack.createIntent(token: token, amount: 2400)
            try stack.sandbox.hold(intentID)
            try stack.sandbox.pay(intentID, review: true)
            try stack.sandbox.closeReview(intentID, reason: "approved")
            let released = try stack.sandbox.release(intentID, order: "reverse")
            #expect(
                released.map(\.type) == [
                    "review.closed", "payment_intent.amount_capturable_updated", "review.opened",
                ], "\(released)")
            #expect(released.map(\.firstStatus) == [200, 200, 200], "\(released)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [2400])
            _ = try stack.waitForDelivery(intentID: intentID, type: "payment_intent.succeeded")
            let captures = try Self.captures(stack, intentID)
            #expect(captures.performed == 1 && captures.attempts == 1, "\(captures)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
        }

        @Test("a dispute reinstated before its withdrawal arrives: 503, then withdrawn and reinstated once each")
        func disputeEventsReversed() throws {
            let stack = try Stack.connect()
            let (uid, _, intentID) = try stack.paidIntent(amount: 2000, tag: "ooo-dispute")
            try stack.sandbox.hold(intentID)
            let disputeID = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.dispute(intentID, amount: 2000), prefix: "du_")
            try stack.sandbox.reinstate(disputeID)
            let released = try stack.sandbox.release(intentID, order: "reverse")
            #expect(
                released.map(\.type) == ["charge.dispute.funds_reinstated", "charge.dispute.funds_withdrawn"],
                "\(released)")
            #expect(released.map(\.firstStatus) == [503, 200], "\(released)")
            #expect(try stack.waitForRow("\(disputeID)-reinstated", timeout: 20).amount == 2000)
            let rows = try stack.db.ledgerRows(uid: uid)
            #expect(rows.map(\.paymentID) == [intentID, disputeID, "\(disputeID)-reinstated"])
            #expect(rows.map(\.amount) == [2000, -2000, 2000])
            #expect(try stack.db.operatorItemCount(references: [disputeID, "\(disputeID)-reinstated"]) == 0)
        }
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Radar reviews, partial refunds (pending, failed after booking, over-refund) and disputes (issue 2, DESIGN §1.5).
    @Suite("Stripe reviews, refunds and disputes", .serialized)
    struct ReviewRefundDisputeTests {
        /// The `id` of a sandbox answer that is the object itself or wraps it (`{"refund": {...}}`).
        static func objectID(_ answer: JSONValue, prefix: String) throws -> String {
            let candidates = [answer["id"], answer["refund"]?["id"], answer["dispute"]?["id"]].compactMap {
                $0?.stringValue
            }
            return try #require(candidates.first { $0.hasPrefix(prefix) }, "no \(prefix) id in \(answer.serialized())")
        }

        @Test("review approved: status route says review while open, then captured and credited once")
        func reviewApproved() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("review-ok")
            let intentID = try stack.createIntent(token: token, amount: 4200)
            try stack.sandbox.pay(intentID, review: true)
            #expect(
                try eventually { try stack.db.session(externalID: intentID)?.status == "review" },
                "session never in review")
            let status = try stack.api.intentStatus(intentID, token: token)
            #expect(status.status == 200, "\(status)")
            #expect(status.json?["status"]?.stringValue == "review")
            #expect(try stack.sandbox.captureCount(intentID) == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)

            try stack.sandbox.closeReview(intentID, reason: "approved")
            let row = try stack.waitForRow(intentID)
            #expect(row.amount == 4200)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try eventually { try stack.db.session(externalID: intentID)?.status == "paid" })
            _ = try stack.waitForDelivery(intentID: intentID, type: "review.closed")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            let after = try stack.api.intentStatus(intentID, token: token)
            #expect(after.json?["status"]?.stringValue == "paid")
        }

        @Test("review rejected (refunded_as_fraud): intent canceled, session canceled, nothing credited")
        func reviewRejected() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("review-no")
            let intentID = try stack.createIntent(token: token, amount: 4300)
            try stack.sandbox.pay(intentID, review: true)
            #expect(try eventually { try stack.db.session(externalID: intentID)?.status == "review" })
            try stack.sandbox.closeReview(intentID, reason: "refunded_as_fraud")
            _ = try stack.waitForDelivery(intentID: intentID, type: "review.closed")
            #expect(try eventually { try stack.db.session(externalID: intentID)?.status == "canceled" })
            #expect(try stack.sandbox.intent(intentID)["status"]?.stringValue == "canceled")
            #expect(try stack.sandbox.captureCount(intentID) == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            let status = try stack.api.intentStatus(intentID, token: token)
            #expect(status.json?["status"]?.stringValue == "unpaid", "\(status)")
        }

        @Test(
            "partial refunds: one negative row each; pending books nothing; failure after booking reverses; never over-refunded"
        )
        func partialRefunds() throws {
            let stack = try Stack.connect()
            let (uid, _, intentID) = try stack.paidIntent(amount: 5000, tag: "refund")
            #expect(try stack.waitForSync(intentID, uid: uid))

            let first = try Self.objectID(try stack.sandbox.refund(intentID, amount: 1000), prefix: "re_")
            let second = try Self.objectID(try stack.sandbox.refund(intentID, amount: 700), prefix: "re_")
            #expect(try stack.waitForRow(first).amount == -1000)
            #expect(try stack.waitForRow(second).amount == -700)

            let pending = try Self.objectID(
                try stack.sandbox.refund(intentID, amount: 300, status: "pending"), prefix: "re_")
            _ = try stack.waitForDelivery(intentID: intentID, type: "refund.created")
            #expect(try stack.db.ledgerRow(paymentID: pending) == nil, "a pending refund was booked")
            try stack.sandbox.refundUpdate(pending, status: "succeeded")
            #expect(try stack.waitForRow(pending).amount == -300)

            let failing = try Self.objectID(try stack.sandbox.refund(intentID, amount: 50), prefix: "re_")
            #expect(try stack.waitForRow(failing).amount == -50)
            // The reversal is pushed only after the refund it undoes (DESIGN §7), so let that push finish first.
            #expect(try stack.waitForSync(failing, uid: uid))
            try stack.sandbox.refundUpdate(failing, status: "failed")
            #expect(try stack.waitForRow("\(failing)-reversed").amount == 50)

            // A refund that would take back more than is left (Stripe's API made to hold one, since refund events
            // are re-read): stored for an operator, answered 200, not booked.
            let charge = try stack.sandbox.stripeAPI("/v1/payment_intents/\(intentID)")["latest_charge"]?.stringValue
            let overID = "re_itest_\(TestIDs.random(20))"
            let overRefund = try stack.sandbox.putRefund([
                ("id", .string(overID)), ("payment_intent", .string(intentID)), ("amount", .int(5000)),
                ("charge", .string(charge ?? "")),
            ])
            let over = WebhookSigner.event(type: "refund.created", object: overRefund)
            let answer = try WebhookSigner.deliverSigned(stack.api, body: Array(over.serialized().utf8))
            #expect(answer.status == 200, "over-refund delivery: \(answer)")
            #expect(try stack.db.ledgerRow(paymentID: overID) == nil, "an over-refund was booked")
            #expect(try stack.db.operatorItemReasons(reference: overID) == ["over-refund"])
            #expect(try stack.db.operatorItemReasons(reference: intentID) == [], "an item about the payment itself")

            let rows = try stack.db.ledgerRows(uid: uid)
            let credit = try #require(rows.first { $0.paymentID == intentID })
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.paymentID, $0) })
            #expect(rows.count == 6, "rows: \(rows.map { "\($0.paymentID) \($0.amount)" })")
            for refund in [first, second, pending, failing, "\(failing)-reversed"] {
                #expect(byID[refund]?.refundOf == credit.id, "\(refund) refund_of")
            }
            let debited: Int64 = rows.filter { $0.amount < 0 }.map(\.amount).reduce(0, +)
            let net: Int64 = rows.map(\.amount).reduce(0, +)
            #expect(-debited <= credit.amount, "refunded \(-debited) of \(credit.amount)")
            #expect(net == 3000, "net of the refunds and the reversal")
            #expect(try stack.waitForSync("\(failing)-reversed", uid: uid, timeout: 20))
        }

        @Test("dispute funds withdrawn books the du_ row; reinstated books <du>-reinstated")
        func disputes() throws {
            let stack = try Stack.connect()
            let (uid, _, intentID) = try stack.paidIntent(amount: 2000, tag: "dispute")
            #expect(try stack.waitForSync(intentID, uid: uid))
            let disputeID = try Self.objectID(try stack.sandbox.dispute(intentID, amount: 2000), prefix: "du_")
            let withdrawn = try stack.waitForRow(disputeID)
            #expect(withdrawn.amount == -2000)
            #expect(withdrawn.uid == uid)
            #expect(try stack.waitForSync(disputeID, uid: uid))
            try stack.sandbox.reinstate(disputeID)
            let reinstated = try stack.waitForRow("\(disputeID)-reinstated")
            #expect(reinstated.amount == 2000)
            #expect(try stack.db.ledgerCount(uid: uid) == 3)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).reduce(0, +) == 2000)
            #expect(try stack.waitForSync("\(disputeID)-reinstated", uid: uid, timeout: 20))
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 2000)
        }
    }
}

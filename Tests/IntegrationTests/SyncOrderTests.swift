import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// The order and the claims of Retail pushes (DESIGN §7): rows waiting for another row never hold back the
    /// queue, a row whose dependency failed for good becomes an operator item, compensations follow the row they
    /// undo, and a pusher whose claim was taken over cannot record an outcome. `payments-sync`'s exit code answers for
    /// every due row in the database, so the suite runs on a private stack and each test starts from an empty
    /// database and a reset sandbox.
    @Suite("Retail sync order and claims", .serialized, .privateStack("syncorder"))
    struct SyncOrderTests {
        /// Inserts a ledger row as the responder writes it; `dueSeconds` is when it becomes due, relative to now.
        static func insertRow(
            _ connection: Connection, paymentID: String, uid: String, amount: Int64, refundOf: Int64? = nil,
            dueSeconds: Int
        ) throws -> Int64 {
            try connection.execute(
                "INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, refund_of, "
                    + "sync_state, sync_attempts, next_sync_at) VALUES (?, ?, 'stripe', ?, 0, "
                    + "UTC_TIMESTAMP(6) - INTERVAL 10 MINUTE, ?, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
                [
                    .text(paymentID), .text(uid), .int(amount), refundOf.map { SQLValue.int($0) } ?? .null,
                    .int(Int64(dueSeconds)),
                ]
            ).lastInsertID
        }

        /// Open operator items of one reference with one reason.
        static func operatorItems(_ stack: Stack, _ reference: String, reason: String) throws -> Int64 {
            try stack.db.count(
                "SELECT COUNT(*) FROM operator_items WHERE reference = ? AND reason = ? AND resolved_at IS NULL",
                [.text(reference), .text(reason)])
        }

        /// A new user's PaymentIntent, not paid yet, whose Retail pushes are refused with 422 (the caller clears it).
        static func intentRefusedByRetail(_ stack: Stack, amount: Int64, tag: String) throws
            -> (uid: String, intentID: String)
        {
            let (uid, token) = try stack.newUser(tag)
            let intentID = try stack.createIntent(token: token, amount: amount)
            try stack.sandbox.retailReject(intentID, status: 422)
            return (uid, intentID)
        }

        /// A synced payment of `amount` and a succeeded refund of `refundAmount` whose pushes Retail answers with
        /// `refusal`; returns once the responder's immediate push of the refund was refused.
        static func refusedRefund(_ stack: Stack, amount: Int64, refundAmount: Int64, refusal: Int, tag: String)
            throws -> (uid: String, intentID: String, refundID: String)
        {
            let (uid, _, intentID) = try stack.paidIntent(amount: amount, tag: tag)
            try #require(try stack.waitForSync(intentID, uid: uid))
            let pending = try stack.sandbox.refund(intentID, amount: refundAmount, status: "pending")
            let refundID = try ReviewRefundDisputeTests.objectID(pending, prefix: "re_")
            try stack.sandbox.retailReject(refundID, status: refusal)
            try stack.sandbox.refundUpdate(refundID, status: "succeeded")
            #expect(try stack.waitForRow(refundID).amount == -refundAmount)
            try #require(
                try eventually { try stack.db.ledgerRow(paymentID: refundID)?.syncAttempts == 1 },
                "the responder never pushed the refund")
            #expect(try stack.sandbox.retailRejections(refundID) == 1)
            return (uid, intentID, refundID)
        }

        /// Fails the booked refund at Stripe and checks that its `-reversed` row is booked but not pushed.
        static func reverseUnpushed(_ stack: Stack, uid: String, refundID: String, amount: Int64) throws -> String {
            try stack.sandbox.refundUpdate(refundID, status: "failed")
            let reversedID = "\(refundID)-reversed"
            #expect(try stack.waitForRow(reversedID).amount == amount)
            // The responder's immediate push would be done within this pause; the reversal must not have gone.
            pause(2)
            #expect(try stack.sandbox.retailTransactions(customerID: uid)[reversedID] == nil)
            #expect(try stack.db.ledgerRow(paymentID: reversedID)?.syncState == "pending")
            return reversedID
        }

        @Test("twenty refunds waiting for their payment at the head of the queue do not hold back later rows")
        func blockedRowsNeverHoldTheHead() throws {
            let stack = try PrivateStack.fresh()
            let uid = TestIDs.uid("starve")
            let paymentID = "pi_itest_starve_\(TestIDs.random(16))"
            let refunds = (0..<20).map { _ in "re_itest_starve_\(TestIDs.random(16))" }
            let credits = (0..<5).map { _ in "pi_itest_later_\(TestIDs.random(16))" }
            try stack.db.with { connection in
                // The payment waits for a retry an hour away; its refunds, older than every credit, wait for it.
                let payment = try Self.insertRow(
                    connection, paymentID: paymentID, uid: uid, amount: 5000, dueSeconds: 3600)
                for refund in refunds {
                    _ = try Self.insertRow(
                        connection, paymentID: refund, uid: uid, amount: -100, refundOf: payment, dueSeconds: -300)
                }
                for (index, credit) in credits.enumerated() {
                    _ = try Self.insertRow(
                        connection, paymentID: credit, uid: uid, amount: 500 + Int64(index), dueSeconds: -60)
                }
            }

            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            var retail = try stack.sandbox.retailTransactions(customerID: uid)
            for credit in credits {
                #expect(try stack.db.ledgerRow(paymentID: credit)?.syncState == "synced", "\(credit) not synced")
                #expect(retail[credit]?.appliedCount == 1, "\(credit) never reached Retail")
            }
            for refund in refunds + [paymentID] {
                #expect(try stack.db.ledgerRow(paymentID: refund)?.syncState == "pending")
                #expect(retail[refund] == nil, "\(refund) was pushed before its payment")
            }

            // The payment's retry comes: one run pushes it, then every refund after it.
            try stack.db.makeRowsDue(uid: uid)
            let second = try stack.paymentsSync(["run"])
            #expect(second.status == 0, "second payments-sync run: \(second)")
            retail = try stack.sandbox.retailTransactions(customerID: uid)
            let order = try stack.sandbox.retailOrder(customerID: uid)
            let paymentAt = try #require(order.firstIndex(of: paymentID), "the payment never reached Retail")
            for refund in refunds {
                #expect(try stack.db.ledgerRow(paymentID: refund)?.syncState == "synced", "\(refund) not synced")
                let refundAt = try #require(order.firstIndex(of: refund), "\(refund) never reached Retail")
                #expect(paymentAt < refundAt, "\(refund) reached Retail before its payment")
            }
            #expect(retail.values.allSatisfy { $0.appliedCount == 1 })
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 5000 - 2000 + 2510)
        }

        @Test("a refund of a payment Retail refused for good fails with an operator item and leaves the queue")
        func refundOfFailedPaymentBecomesOperatorItem() throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID) = try Self.intentRefusedByRetail(stack, amount: 3000, tag: "depfail")
            defer { restoring("Retail reject switch") { try stack.sandbox.retailReject(intentID, status: 0) } }
            try stack.sandbox.pay(intentID)
            try #require(
                try eventually { try stack.db.ledgerRow(paymentID: intentID)?.syncState == "failed" },
                "the payment's push was not refused for good")
            #expect(try Self.operatorItems(stack, intentID, reason: "sync-failed") == 1)

            let refund = try stack.sandbox.refund(intentID, amount: 1200)
            let refundID = try ReviewRefundDisputeTests.objectID(refund, prefix: "re_")
            #expect(try stack.waitForRow(refundID).amount == -1200)
            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 1, "payments-sync run must report the failed row: \(run)")
            let row = try #require(try stack.db.ledgerRow(paymentID: refundID))
            #expect(row.syncState == "failed")
            #expect(!row.isSynced)
            #expect(try Self.operatorItems(stack, refundID, reason: "dependency-failed") == 1)
            #expect(try stack.sandbox.retailTransactions(customerID: uid).isEmpty)

            // It is never retried: a later run leaves it (and its operator item) alone.
            try stack.db.makeRowsDue(uid: uid)
            _ = try stack.paymentsSync(["run"])
            #expect(try stack.db.ledgerRow(paymentID: refundID)?.syncState == "failed")
            #expect(try stack.db.ledgerRow(paymentID: refundID)?.syncAttempts == row.syncAttempts)
            #expect(try Self.operatorItems(stack, refundID, reason: "dependency-failed") == 1)
        }

        @Test("a -reversed row is not pushed before its refund is synced; then one run pushes both, refund first")
        func compensationWaitsForItsRefund() throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID, refundID) = try Self.refusedRefund(
                stack, amount: 4000, refundAmount: 900, refusal: 503, tag: "compwait")
            defer { restoring("Retail reject switch") { try stack.sandbox.retailReject(refundID, status: 0) } }
            #expect(try stack.db.ledgerRow(paymentID: refundID)?.syncState == "pending")
            let reversedID = try Self.reverseUnpushed(stack, uid: uid, refundID: refundID, amount: 900)

            try stack.sandbox.retailReject(refundID, status: 0)
            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            for id in [refundID, reversedID] {
                #expect(try stack.db.ledgerRow(paymentID: id)?.syncState == "synced", "\(id) not synced")
            }
            #expect(try stack.sandbox.retailOrder(customerID: uid) == [intentID, refundID, reversedID])
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 4000)
        }

        @Test("a -reversed row whose refund Retail refused for good fails with an operator item, never pushed")
        func compensationOfFailedRefundBecomesOperatorItem() throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID, refundID) = try Self.refusedRefund(
                stack, amount: 2500, refundAmount: 700, refusal: 422, tag: "compfail")
            defer { restoring("Retail reject switch") { try stack.sandbox.retailReject(refundID, status: 0) } }
            #expect(try stack.db.ledgerRow(paymentID: refundID)?.syncState == "failed")
            #expect(try Self.operatorItems(stack, refundID, reason: "sync-failed") == 1)
            let reversedID = try Self.reverseUnpushed(stack, uid: uid, refundID: refundID, amount: 700)

            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 1, "payments-sync run must report the failed row: \(run)")
            #expect(try stack.db.ledgerRow(paymentID: reversedID)?.syncState == "failed")
            #expect(try Self.operatorItems(stack, reversedID, reason: "dependency-failed") == 1)
            #expect(try stack.sandbox.retailOrder(customerID: uid) == [intentID])
        }

        @Test("a pusher whose claim was taken over cannot turn the row the new pusher synced into a failure")
        func stalePusherCannotOverwrite() throws {
            let stack = try PrivateStack.fresh()
            // The responder's push is refused for good, but the answer takes 6 s to come back.
            let (uid, intentID) = try Self.intentRefusedByRetail(stack, amount: 1500, tag: "stale")
            defer { restoring("Retail reject switch") { try stack.sandbox.retailReject(intentID, status: 0) } }
            try stack.sandbox.retailMode("ok", latencyMilliseconds: 6000)
            defer { restoring("Retail mode") { try stack.sandbox.retailMode("ok") } }
            try stack.sandbox.pay(intentID)
            try #require(
                try eventually { try stack.sandbox.retailRejections(intentID) == 1 },
                "the responder's push never reached Retail")
            let staleAnswerAt = Date().addingTimeInterval(6)
            try stack.sandbox.retailMode("ok")
            try stack.sandbox.retailReject(intentID, status: 0)

            // Its lease lapses meanwhile (as behind a slow Retail); payments-sync claims the row anew and syncs it.
            try stack.db.execute(
                "UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND, "
                    + "next_sync_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE payment_id = ?", [.text(intentID)])
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            try #require(Date() < staleAnswerAt, "payments-sync run took longer than the stale push")
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.syncState == "synced")

            // The stale pusher's 422 arrives now; the row stays synced and no operator item is opened.
            pause(max(0, staleAnswerAt.timeIntervalSinceNow) + 2)
            let row = try #require(try stack.db.ledgerRow(paymentID: intentID))
            #expect(row.syncState == "synced")
            #expect(row.isSynced)
            #expect(try Self.operatorItems(stack, intentID, reason: "sync-failed") == 0)
            #expect(try stack.sandbox.retailTransactions(customerID: uid)[intentID]?.appliedCount == 1)
        }
    }
}

import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// Retail down then recovered, a lost Retail answer, concurrent `payments-sync run`s, and reconciliation of a
    /// missed webhook (DESIGN §7, §8). `payments-sync`'s exit code answers for every due row and session in the
    /// database, so the suite runs on a private stack and each test starts from an empty database and a reset sandbox.
    @Suite("Retail sync and reconciliation", .serialized, .privateStack("retailsync"))
    struct RetailSyncTests {
        /// Waits until the responder's immediate push has been attempted (and failed) for `paymentID`.
        static func waitForFailedPush(_ stack: Stack, _ paymentID: String) throws -> Bool {
            try eventually(timeout: 20) {
                guard let row = try stack.db.ledgerRow(paymentID: paymentID) else { return false }
                return row.syncAttempts >= 1 && !row.isSynced
            }
        }

        @Test("Retail failing: the row stays unsynced; after recovery payments-sync run syncs it exactly once")
        func retailDownThenRecovered() throws {
            let stack = try PrivateStack.fresh()
            try stack.sandbox.retailMode("fail")
            defer { restoring("Retail mode") { try stack.sandbox.retailMode("ok") } }
            let (uid, _, intentID) = try stack.paidIntent(amount: 1800, tag: "retail-down")
            #expect(try Self.waitForFailedPush(stack, intentID), "the responder never attempted the push")
            let row = try #require(try stack.db.ledgerRow(paymentID: intentID))
            #expect(!row.isSynced)
            #expect(row.syncState == "pending")
            #expect(try stack.sandbox.retailTransactions(customerID: uid)[intentID] == nil)

            try stack.sandbox.retailMode("ok")
            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            let synced = try #require(try stack.db.ledgerRow(paymentID: intentID))
            #expect(synced.isSynced)
            #expect(synced.syncState == "synced")
            let retail = try stack.sandbox.retailTransactions(customerID: uid)
            #expect(retail[intentID]?.appliedCount == 1)
            #expect(retail[intentID]?.amount == 1800)
        }

        @Test("Retail applies but the answer is lost: after recovery the row is synced and applied once (dedup)")
        func lostRetailAnswer() throws {
            let stack = try PrivateStack.fresh()
            // A first payment makes Retail know the customer (for an unknown one the lost answer would be a 404).
            let (uid, token, firstID) = try stack.paidIntent(amount: 600, tag: "retail-lost")
            #expect(try stack.waitForSync(firstID, uid: uid))
            try stack.sandbox.retailMode("lose-answer")
            defer { restoring("Retail mode") { try stack.sandbox.retailMode("ok") } }
            let intentID = try stack.createIntent(token: token, amount: 1900)
            try stack.sandbox.pay(intentID)
            _ = try stack.waitForRow(intentID)
            #expect(try Self.waitForFailedPush(stack, intentID))
            #expect(
                try stack.sandbox.retailTransactions(customerID: uid)[intentID]?.appliedCount == 1,
                "Retail did not apply it")
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.isSynced == false)

            try stack.sandbox.retailMode("ok")
            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            let row = try #require(try stack.db.ledgerRow(paymentID: intentID))
            #expect(row.isSynced)
            #expect(row.syncState == "synced")
            let retail = try stack.sandbox.retailTransactions(customerID: uid)
            #expect(retail[intentID]?.appliedCount == 1)
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 2500)
        }

        @Test("three concurrent payments-sync runs over 50 due rows apply every row exactly once")
        func concurrentSyncRuns() throws {
            let stack = try PrivateStack.fresh()
            let uids = (0..<5).map { _ in TestIDs.uid("sync") }
            var paymentIDs: [String] = []
            // Set-up: ledger rows as the responder writes them, already due (not pushed by the responder, which
            // only pushes the rows it wrote itself).
            try stack.db.with { connection in
                for (index, uid) in uids.enumerated() {
                    for row in 0..<10 {
                        let paymentID = "pi_itest_sync_\(TestIDs.random(16))"
                        paymentIDs.append(paymentID)
                        try connection.execute(
                            "INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, sync_state, "
                                + "sync_attempts, next_sync_at) VALUES (?, ?, 'stripe', ?, 0, UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE, "
                                + "'pending', 0, UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE)",
                            [.text(paymentID), .text(uid), .int(Int64(500 + index * 10 + row))])
                    }
                }
            }
            let runs = try (0..<3).map { _ in
                try Command.start(stack.env.executable("payments-sync"), ["run", "--env-file", stack.env.envFilePath])
            }
            let results = try runs.map { try $0.wait(timeout: 180) }
            for result in results {
                #expect(result.status == 0, "payments-sync run: \(result)")
            }
            var retail: [String: RetailTransaction] = [:]
            for uid in uids {
                retail.merge(try stack.sandbox.retailTransactions(customerID: uid)) { first, _ in first }
            }
            for paymentID in paymentIDs {
                let row = try #require(try stack.db.ledgerRow(paymentID: paymentID))
                #expect(row.isSynced && row.syncState == "synced", "\(paymentID) not synced")
                let transaction = try #require(retail[paymentID], "\(paymentID) never reached Retail")
                #expect(transaction.appliedCount == 1)
                #expect(transaction.amount == row.amount)
                #expect(
                    (transaction.receivedCount ?? 1) == 1,
                    "\(paymentID) was pushed \(transaction.receivedCount ?? 0) times")
            }
            #expect(retail.count == 50)
            for (index, uid) in uids.enumerated() {
                let expected = (0..<10).map { Int64(500 + index * 10 + $0) }.reduce(0, +)
                #expect(try stack.sandbox.retailBalance(customerID: uid) == expected)
            }
        }

        @Test("reconciliation captures and credits an authorised intent whose webhook never arrived, once")
        func reconcileMissedWebhook() throws {
            let stack = try PrivateStack.fresh()
            let (uid, token) = try stack.newUser("reconcile")
            let intentID = try stack.createIntent(token: token, amount: 2700)
            try stack.sandbox.pay(intentID, deliver: false)
            let session = try #require(try stack.db.session(externalID: intentID))
            try stack.db.makeSessionDue(sessionID: session.id)

            let first = try stack.paymentsSync(["reconcile"])
            #expect(first.status == 0, "payments-sync reconcile: \(first)")
            #expect(try stack.db.ledgerCount(paymentID: intentID) == 1)
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.amount == 2700)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")

            try stack.db.makeSessionDue(sessionID: session.id)
            let second = try stack.paymentsSync(["reconcile"])
            #expect(second.status == 0, "second reconcile: \(second)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.sandbox.captureCount(intentID) == 1)

            try stack.db.makeRowsDue(uid: uid)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run: \(run)")
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.isSynced == true)
            #expect(try stack.sandbox.retailTransactions(customerID: uid)[intentID]?.appliedCount == 1)
        }
    }
}

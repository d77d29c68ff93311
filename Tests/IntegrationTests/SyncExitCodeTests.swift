import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// `payments-sync`'s exit codes and operator commands (DESIGN §7, §8): 0 when everything pushed synced, 1 when a
    /// row failed or waits for a retry or a session could not be re-read, 78 (`EX_CONFIG`) on a configuration error,
    /// Retail's 401/403 included; `requeue` and `--dry-run`; the max-age close. The exit codes answer for every due
    /// row and session in the database, so the suite runs on a private stack and each test starts from an empty one.
    @Suite("payments-sync exit codes and operator commands", .serialized, .privateStack("syncexit"))
    struct SyncExitCodeTests {
        /// Inserts `count` rows of a new uid, due a minute ago, as the responder writes them.
        static func dueRows(_ stack: Stack, count: Int, tag: String) throws -> (uid: String, paymentIDs: [String]) {
            let uid = TestIDs.uid(tag)
            let paymentIDs = (0..<count).map { _ in "pi_itest_\(tag)_\(TestIDs.random(16))" }
            try stack.db.with { connection in
                for (index, paymentID) in paymentIDs.enumerated() {
                    _ = try SyncOrderTests.insertRow(
                        connection, paymentID: paymentID, uid: uid, amount: 600 + Int64(index), dueSeconds: -60)
                }
            }
            return (uid, paymentIDs)
        }

        /// Open operator items of any reference with any reason.
        static func operatorItemCount(_ stack: Stack) throws -> Int64 {
            try stack.db.count("SELECT COUNT(*) FROM operator_items")
        }

        /// A session's reconciliation bookkeeping: attempts, whether it is due now, whether it is claimed.
        static func reconcileState(_ stack: Stack, sessionID: Int64) throws -> (
            attempts: Int64, due: Bool, claimed: Bool
        ) {
            let row = try #require(
                try stack.db.query(
                    "SELECT reconcile_attempts, next_reconcile_at <= UTC_TIMESTAMP(6), "
                        + "reconcile_claimed_until IS NOT NULL FROM payment_sessions WHERE id = ?", [.int(sessionID)]
                ).first)
            return (try row.int64(0), try row.bool(1), try row.bool(2))
        }

        /// A Stripe session of a new user: created through the backend, authorised at Stripe (`pay`) unless `paid`
        /// is false, its webhook never delivered; `ageSeconds` back-dates it, and it is due for reconciliation.
        static func openSession(_ stack: Stack, amount: Int64, paid: Bool, ageSeconds: Int64 = 0, tag: String) throws
            -> (uid: String, intentID: String, session: SessionRow)
        {
            let (uid, token) = try stack.newUser(tag)
            let intentID = try stack.createIntent(token: token, amount: amount)
            if paid { try stack.sandbox.pay(intentID, deliver: false) }
            let session = try #require(try stack.db.session(externalID: intentID))
            try stack.db.execute(
                "UPDATE payment_sessions SET created_at = UTC_TIMESTAMP(6) - INTERVAL ? SECOND WHERE id = ?",
                [.int(ageSeconds), .int(session.id)])
            try stack.db.makeSessionDue(sessionID: session.id)
            return (uid, intentID, session)
        }

        /// Each row is as before any push: pending, never attempted, due, unclaimed, no error.
        static func expectUntouched(_ stack: Stack, _ paymentIDs: [String], _ context: String) throws {
            for paymentID in paymentIDs {
                let status = try stack.db.syncStatus(paymentID: paymentID)
                #expect(
                    status
                        == SyncStatus(
                            state: "pending", isSynced: false, attempts: 0, isDue: true, isClaimed: false,
                            lastError: nil),
                    "\(context): \(paymentID)")
            }
        }

        @Test(
            "Retail 401 or 403: payments-sync run exits 78 (EX_CONFIG) and every row stays due; then a run syncs them")
        func retailRefusesCredentials() throws {
            let stack = try PrivateStack.fresh()
            let (uid, paymentIDs) = try Self.dueRows(stack, count: 3, tag: "creds")

            let unauthorized = try stack.paymentsSync(["run"], environment: ["RETAIL_API_KEY": "rk_itest_wrong"])
            #expect(unauthorized.status == 78, "Retail answering 401: \(unauthorized)")
            #expect(unauthorized.output.contains("stopped: configuration error"), "\(unauthorized)")
            #expect(unauthorized.error.contains("check RETAIL_API_KEY and RETAIL_API_URL"), "\(unauthorized)")
            try Self.expectUntouched(stack, paymentIDs, "after Retail's 401")

            for paymentID in paymentIDs { try stack.sandbox.retailReject(paymentID, status: 403) }
            let forbidden = try stack.paymentsSync(["run"])
            #expect(forbidden.status == 78, "Retail answering 403: \(forbidden)")
            #expect(forbidden.output.contains("stopped: configuration error"), "\(forbidden)")
            let refusals = try paymentIDs.map { try stack.sandbox.retailRejections($0) }.reduce(0, +)
            #expect((1...3).contains(refusals), "the 403 was never met: \(refusals) refusals")
            try Self.expectUntouched(stack, paymentIDs, "after Retail's 403")
            #expect(try stack.sandbox.retailTransactions(customerID: uid).isEmpty)
            #expect(try Self.operatorItemCount(stack) == 0)

            for paymentID in paymentIDs { try stack.sandbox.retailReject(paymentID, status: 0) }
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "payments-sync run with Retail accepting: \(run)")
            let retail = try stack.sandbox.retailTransactions(customerID: uid)
            for paymentID in paymentIDs {
                #expect(try stack.db.syncStatus(paymentID: paymentID)?.state == "synced", "\(paymentID)")
                #expect(retail[paymentID]?.appliedCount == 1, "\(paymentID)")
            }
            #expect(try stack.sandbox.retailBalance(customerID: uid) == 600 + 601 + 602)
        }

        @Test(
            "Retail 422: the row fails with one sync-failed item, run exits 1; requeue <payment_id> and the next run syncs it"
        )
        func refusedRowIsRequeued() throws {
            let stack = try PrivateStack.fresh()
            let (uid, paymentIDs) = try Self.dueRows(stack, count: 2, tag: "refused")
            let refused = paymentIDs[0]
            let accepted = paymentIDs[1]
            try stack.sandbox.retailReject(refused, status: 422)

            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 1, "payments-sync run with a refused row: \(run)")
            #expect(run.output.contains("sync: synced=1 failed=1 skipped=0 retry=0"), "\(run)")
            let failed = try #require(try stack.db.syncStatus(paymentID: refused))
            #expect(failed.state == "failed" && !failed.isSynced && failed.attempts == 1 && !failed.isClaimed)
            #expect(failed.lastError?.contains("422") == true, "last_sync_error: \(failed.lastError ?? "nil")")
            #expect(try SyncOrderTests.operatorItems(stack, refused, reason: "sync-failed") == 1)
            #expect(try Self.operatorItemCount(stack) == 1)
            #expect(try stack.db.syncStatus(paymentID: accepted)?.state == "synced")

            // A failed row is not retried: the next run has nothing to do.
            let quiet = try stack.paymentsSync(["run"])
            #expect(quiet.status == 0, "\(quiet)")
            #expect(quiet.output.contains("sync: synced=0 failed=0 skipped=0 retry=0"), "\(quiet)")
            #expect(try stack.sandbox.retailRejections(refused) == 1)

            // The operator fixed the cause at Retail and requeues the row.
            try stack.sandbox.retailReject(refused, status: 0)
            let requeue = try stack.paymentsSync(["requeue", refused])
            #expect(requeue.status == 0, "\(requeue)")
            #expect(requeue.output == "requeue: \(refused) is due\n", "\(requeue)")
            #expect(
                try stack.db.syncStatus(paymentID: refused)
                    == SyncStatus(
                        state: "pending", isSynced: false, attempts: 0, isDue: true, isClaimed: false,
                        lastError: failed.lastError))
            let synced = try stack.paymentsSync(["run"])
            #expect(synced.status == 0, "\(synced)")
            #expect(synced.output.contains("sync: synced=1 failed=0 skipped=0 retry=0"), "\(synced)")
            #expect(try stack.db.syncStatus(paymentID: refused)?.state == "synced")
            #expect(try stack.sandbox.retailTransactions(customerID: uid)[refused]?.appliedCount == 1)
            #expect(try Self.operatorItemCount(stack) == 1, "the requeued row opened another operator item")

            // Only failed or pending rows can be requeued.
            for paymentID in [accepted, "pi_itest_unknown_\(TestIDs.random(16))"] {
                let refusedRequeue = try stack.paymentsSync(["requeue", paymentID])
                #expect(refusedRequeue.status == 1, "requeue \(paymentID): \(refusedRequeue)")
                #expect(refusedRequeue.error.contains("no failed or pending row with payment_id \(paymentID)"))
            }
        }

        @Test("requeue --all-failed makes every failed row due again; the next run syncs them all")
        func requeueAllFailed() throws {
            let stack = try PrivateStack.fresh()
            let (uid, paymentIDs) = try Self.dueRows(stack, count: 3, tag: "allfailed")
            for paymentID in paymentIDs.prefix(2) { try stack.sandbox.retailReject(paymentID, status: 422) }
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 1, "\(run)")
            #expect(run.output.contains("sync: synced=1 failed=2 skipped=0 retry=0"), "\(run)")

            for paymentID in paymentIDs.prefix(2) { try stack.sandbox.retailReject(paymentID, status: 0) }
            let requeue = try stack.paymentsSync(["requeue", "--all-failed"])
            #expect(requeue.status == 0, "\(requeue)")
            #expect(requeue.output == "requeue: 2 row(s) due\n", "\(requeue)")
            for paymentID in paymentIDs.prefix(2) {
                let status = try #require(try stack.db.syncStatus(paymentID: paymentID))
                #expect(status.state == "pending" && status.attempts == 0 && status.isDue && !status.isClaimed)
            }
            let synced = try stack.paymentsSync(["run"])
            #expect(synced.status == 0, "\(synced)")
            #expect(synced.output.contains("sync: synced=2 failed=0 skipped=0 retry=0"), "\(synced)")
            let retail = try stack.sandbox.retailTransactions(customerID: uid)
            #expect(Set(retail.keys) == Set(paymentIDs))
            #expect(retail.values.allSatisfy { $0.appliedCount == 1 })
            let again = try stack.paymentsSync(["requeue", "--all-failed"])
            #expect(again.status == 0 && again.output == "requeue: 0 row(s) due\n", "\(again)")
        }

        @Test("--dry-run lists the due sessions and rows and changes nothing: database, Retail and Stripe untouched")
        func dryRunChangesNothing() throws {
            let stack = try PrivateStack.fresh()
            let (_, intentID, session) = try Self.openSession(stack, amount: 2100, paid: true, tag: "dryrun")
            let (rowsUID, paymentIDs) = try Self.dueRows(stack, count: 2, tag: "dryrun")
            let before = try stack.db.snapshot()
            let retailCalls = try stack.sandbox.retailAttempts()

            let dryRun = try stack.paymentsSync(["run", "--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryRun.output.contains("would reconcile stripe session \(session.publicID) (pending)"), "\(dryRun)")
            #expect(dryRun.output.contains("reconcile: examined=1 credited=0 closed=0 unchanged=0 failed=0"))
            for (index, paymentID) in paymentIDs.enumerated() {
                #expect(
                    dryRun.output.contains(
                        "would push \(paymentID) uid=\(rowsUID) gateway=stripe amount=\(600 + index) attempts=0"),
                    "\(dryRun)")
            }
            #expect(dryRun.output.contains("sync: 2 due row(s)\n"), "\(dryRun)")
            let reconcileDryRun = try stack.paymentsSync(["reconcile", "--dry-run"])
            #expect(reconcileDryRun.status == 0, "\(reconcileDryRun)")
            #expect(reconcileDryRun.output.contains("would reconcile stripe session \(session.publicID) (pending)"))

            #expect(try stack.db.snapshot() == before, "a dry run changed the database")
            #expect(try stack.sandbox.retailAttempts() == retailCalls, "a dry run called Retail")
            #expect(try stack.sandbox.captureCount(intentID) == 0, "a dry run captured at Stripe")

            // The real run does what the dry run listed.
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 0, "\(run)")
            #expect(run.output.contains("reconcile: examined=1 credited=1 closed=0 unchanged=0 failed=0"), "\(run)")
            #expect(run.output.contains("sync: synced=2 failed=0 skipped=0 retry=0"), "\(run)")
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.amount == 2100)
        }

        @Test(
            "Stripe failing (5xx or no answer) during reconcile: reconcile and run exit 1, the session is retried later; then settled once",
            arguments: [500, 0])
        func reconcileFailure(status: Int) throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID, session) = try Self.openSession(stack, amount: 2200, paid: true, tag: "recfail")
            try stack.sandbox.failStripe(endpoint: "retrieve", times: 1000, status: status)
            defer { restoring("Stripe retrieve") { try stack.sandbox.failStripe(endpoint: "retrieve", times: 0) } }

            let reconcile = try stack.paymentsSync(["reconcile"])
            #expect(reconcile.status == 1, "payments-sync reconcile with Stripe failing: \(reconcile)")
            #expect(reconcile.output.contains("reconcile: examined=1 credited=0 closed=0 unchanged=0 failed=1"))
            let state = try Self.reconcileState(stack, sessionID: session.id)
            #expect(state.attempts == 1 && !state.due && !state.claimed, "rescheduled: \(state)")
            #expect(try stack.db.session(externalID: intentID)?.status == "pending")

            try stack.db.makeSessionDue(sessionID: session.id)
            let run = try stack.paymentsSync(["run"])
            #expect(run.status == 1, "payments-sync run with Stripe failing: \(run)")
            #expect(run.output.contains("reconcile: examined=1 credited=0 closed=0 unchanged=0 failed=1"), "\(run)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.sandbox.captureCount(intentID) == 0)

            try stack.sandbox.failStripe(endpoint: "retrieve", times: 0)
            try stack.db.makeSessionDue(sessionID: session.id)
            let recovered = try stack.paymentsSync(["reconcile"])
            #expect(recovered.status == 0, "\(recovered)")
            #expect(recovered.output.contains("reconcile: examined=1 credited=1 closed=0 unchanged=0 failed=0"))
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [2200])
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")
        }

        @Test(
            "an unpaid session older than RECONCILE_MAX_AGE_SECONDS closes as expired; a paid one is credited, a younger one waits"
        )
        func maxAgeClose() throws {
            let stack = try PrivateStack.fresh()
            let maxAge = Int64(stack.env.int("RECONCILE_MAX_AGE_SECONDS", default: 691_200))
            let stale = try Self.openSession(stack, amount: 2300, paid: false, ageSeconds: maxAge + 60, tag: "stale")
            let paid = try Self.openSession(stack, amount: 2400, paid: true, ageSeconds: maxAge + 60, tag: "stalepaid")
            let young = try Self.openSession(stack, amount: 2500, paid: false, ageSeconds: maxAge - 3600, tag: "young")

            let reconcile = try stack.paymentsSync(["reconcile"])
            #expect(reconcile.status == 0, "\(reconcile)")
            #expect(reconcile.output.contains("reconcile: examined=3 credited=1 closed=1 unchanged=1 failed=0"))
            #expect(try stack.db.session(externalID: stale.intentID)?.status == "expired")
            #expect(try stack.db.ledgerCount(uid: stale.uid) == 0)
            #expect(try stack.db.session(externalID: paid.intentID)?.status == "paid")
            #expect(try stack.db.ledgerRows(uid: paid.uid).map(\.amount) == [2400])
            #expect(try stack.sandbox.captureCount(paid.intentID) == 1)
            #expect(try stack.db.session(externalID: young.intentID)?.status == "pending")
            let waiting = try Self.reconcileState(stack, sessionID: young.session.id)
            #expect(waiting.attempts == 1 && !waiting.due && !waiting.claimed, "\(waiting)")

            // A closed session is not taken again.
            try stack.db.makeSessionDue(sessionID: stale.session.id)
            let again = try stack.paymentsSync(["reconcile"])
            #expect(again.status == 0 && again.output.contains("reconcile: examined=0 "), "\(again)")
        }

        @Test(
            "a missing or malformed setting: every subcommand exits 78 (EX_CONFIG) naming it, before touching anything",
            arguments: [
                (["run"], ["RETAIL_API_KEY": ""], "RETAIL_API_KEY"),
                (["run"], ["LOG_LEVEL": "loud"], "LOG_LEVEL"),
                (["reconcile"], ["STRIPE_SECRET_KEY": ""], "STRIPE_SECRET_KEY"),
                (["report"], ["DB_NAME": ""], "DB_NAME"),
                (["requeue", "--all-failed"], ["DB_USER": ""], "DB_USER"),
                (["migrate", "--sql-dir", "/nonexistent/itest-sql"], [:], "/nonexistent/itest-sql"),
            ])
        func configurationErrors(arguments: [String], environment: [String: String], named: String) throws {
            let stack = try PrivateStack.fresh()
            let (_, paymentIDs) = try Self.dueRows(stack, count: 1, tag: "config")
            let retailCalls = try stack.sandbox.retailAttempts()
            let result = try stack.paymentsSync(arguments, environment: environment)
            #expect(result.status == 78, "\(arguments) with \(environment): \(result)")
            #expect(result.error.contains(named), "\(result)")
            try Self.expectUntouched(stack, paymentIDs, "after a configuration error")
            #expect(try stack.sandbox.retailAttempts() == retailCalls)
        }
    }
}

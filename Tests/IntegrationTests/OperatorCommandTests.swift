import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// The operator commands of `payments-sync` (issue 11): `report --json` and its exit code, `items list/resolve`,
    /// `show --payment/--uid`, `migrate --status`, and the `operator_actions` audit of every change. The report's
    /// exit code answers for the whole database, so the suite runs on a private stack.
    @Suite("payments-sync operator commands", .serialized, .privateStack("operator"))
    struct OperatorCommandTests {
        private static func json(_ result: CommandResult) throws -> JSONValue {
            try JSONValue.parse(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }

        private static func actions(_ stack: Stack, _ action: String, target: String) throws -> [Row] {
            try stack.db.query(
                "SELECT os_user, reason, result FROM operator_actions WHERE action = ? AND target = ? ORDER BY id",
                [.text(action), .text(target)])
        }

        @Test(
            "report --json exits 1 while a row failed or an item is open; items resolve closes the item with a note, once; every change is in operator_actions"
        )
        func reportItemsAndAudit() throws {
            let stack = try PrivateStack.fresh()
            let clean = try stack.paymentsSync(["report", "--json"])
            #expect(clean.status == 0, "\(clean)")
            let empty = try Self.json(clean)
            #expect(empty["failed_rows"]?.arrayValue?.isEmpty == true && empty["unsynced_rows"] == .int(0))

            let (_, paymentIDs) = try SyncExitCodeTests.dueRows(stack, count: 1, tag: "opitems")
            let refused = paymentIDs[0]
            try stack.sandbox.retailReject(refused, status: 422)
            #expect(try stack.paymentsSync(["run"]).status == 1)

            let failing = try stack.paymentsSync(["report", "--json"])
            #expect(failing.status == 1, "\(failing)")
            let report = try Self.json(failing)
            #expect(report["failed_rows"]?.arrayValue?.first?["payment_id"] == .string(refused), "\(failing)")
            let item = try #require(report["open_operator_items"]?.arrayValue?.first, "\(failing)")
            #expect(item["reference"] == .string(refused) && item["reason"] == .string("sync-failed"))
            let itemID = try #require(item["id"]?.int64Value)

            let listed = try stack.paymentsSync(["items", "list", "--json"])
            #expect(listed.status == 0, "\(listed)")
            #expect(try Self.json(listed).arrayValue?.map { $0["id"] } == [.int(itemID)])

            let resolve = try stack.paymentsSync(["items", "resolve", String(itemID), "--note", "customer paid twice"])
            #expect(resolve.status == 0 && resolve.output == "items: #\(itemID) resolved\n", "\(resolve)")
            let again = try stack.paymentsSync(["items", "resolve", String(itemID), "--note", "second note"])
            #expect(again.status == 1 && again.error.contains("already resolved"), "\(again)")
            let missing = try stack.paymentsSync(["items", "resolve", "987654321", "--note", "x"])
            #expect(missing.status == 1 && missing.error.contains("no operator item #987654321"), "\(missing)")
            let noNote = try stack.paymentsSync(["items", "resolve", String(itemID), "--note", " "])
            #expect(noNote.status != 0, "\(noNote)")

            let open = try stack.paymentsSync(["items", "list"])
            #expect(open.status == 0 && open.output.hasPrefix("open operator items: 0\n"), "\(open)")
            let all = try Self.json(try stack.paymentsSync(["items", "list", "--all", "--json"]))
            let resolved = try #require(all.arrayValue?.first)
            #expect(resolved["resolution_note"] == .string("customer paid twice"), "\(all)")
            #expect(resolved["resolved_at"]?.int64Value != nil)

            let audit = try Self.actions(stack, "items-resolve", target: String(itemID))
            #expect(try audit.map { try $0.string(2) } == ["resolved", "already-resolved"])
            #expect(try audit.map { try $0.optionalString(1) } == ["customer paid twice", "second note"])
            #expect(try audit.allSatisfy { !(try $0.string(0)).isEmpty })
            #expect(
                try Self.actions(stack, "items-resolve", target: "987654321").map { try $0.string(2) } == ["not-found"])

            // The row itself still failed for good: the report stays non-zero until it is requeued and synced.
            #expect(try stack.paymentsSync(["report"]).status == 1)
            try stack.sandbox.retailReject(refused, status: 0)
            #expect(try stack.paymentsSync(["requeue", refused]).status == 0)
            #expect(try Self.actions(stack, "requeue", target: refused).map { try $0.string(2) } == ["due"])
            #expect(try stack.paymentsSync(["run"]).status == 0)
            let healthy = try stack.paymentsSync(["report", "--json"])
            #expect(healthy.status == 0, "\(healthy)")
        }

        @Test("show --payment and --uid: ledger row with its sync state, the session, the webhook events; --json")
        func showPaymentAndUID() throws {
            let stack = try PrivateStack.fresh()
            let (uid, _, intentID) = try stack.paidIntent(amount: 1234, tag: "opshow")
            try #require(try stack.waitForSync(intentID, uid: uid))

            let shown = try stack.paymentsSync(["show", "--payment", intentID, "--json"])
            #expect(shown.status == 0, "\(shown)")
            let view = try Self.json(shown)
            let row = try #require(view["ledger_rows"]?.arrayValue?.first, "\(shown)")
            #expect(view["ledger_rows"]?.arrayValue?.count == 1)
            #expect(row["payment_id"] == .string(intentID) && row["uid"] == .string(uid))
            #expect(
                row["amount"] == .int(1234) && row["sync_state"] == .string("synced") && row["is_synced"] == .int(1))
            let session = try #require(view["sessions"]?.arrayValue?.first, "\(shown)")
            #expect(session["external_id"] == .string(intentID) && session["status"] == .string("paid"))
            let events = try #require(view["webhook_events"]?.arrayValue, "\(shown)")
            #expect(!events.isEmpty, "no webhook event names \(intentID): \(shown)")
            #expect(
                events.allSatisfy { $0["gateway"] == .string("stripe") && $0["payload_bytes"]?.int64Value ?? 0 > 0 })
            #expect(view["operator_items"]?.arrayValue?.isEmpty == true)

            let table = try stack.paymentsSync(["show", "--uid", uid])
            #expect(table.status == 0, "\(table)")
            #expect(table.output.contains("ledger rows (1):") && table.output.contains(intentID), "\(table)")
            #expect(table.output.contains("sessions (1):") && table.output.contains("synced"), "\(table)")

            let unknown = try stack.paymentsSync(["show", "--payment", "pi_itest_nothing_\(TestIDs.random(12))"])
            #expect(unknown.status == 1 && unknown.error.contains("nothing is stored"), "\(unknown)")
            #expect(try stack.paymentsSync(["show"]).status != 0)
        }

        @Test("every executable answers --version with the version and the git commit it was built from")
        func versions() throws {
            let stack = try PrivateStack.fresh()
            let head = try Command.run("/usr/bin/git", ["-C", stack.env.repo, "rev-parse", "--short=12", "HEAD"])
            try #require(head.status == 0, "\(head)")
            let commit = head.output.trimmingCharacters(in: .whitespacesAndNewlines)
            for name in ["payments-fcgi", "payments-sync", "payments-sandbox"] {
                let result = try Command.run(stack.env.executable(name), ["--version"])
                #expect(result.status == 0, "\(name): \(result)")
                #expect(result.output.hasPrefix("0."), "\(name): \(result)")
                #expect(result.output.contains("(commit \(commit)"), "\(name) --version: \(result)")
            }
        }

        @Test("one exit-code convention: each executable exits 78 (EX_CONFIG) on a configuration error, naming it")
        func configurationErrorsExit78() throws {
            let stack = try PrivateStack.fresh()
            let bad = FileManager.default.temporaryDirectory.appendingPathComponent(
                "itest-bad-\(TestIDs.random(8)).env")
            try "FCGI_SOCKET=/tmp/itest-never.sock\nSANDBOX_PORT_BASE=abc\nFCGI_WORKERS=many\n".write(
                to: bad, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: bad) }
            let runs: [(String, [String], String)] = [
                ("payments-fcgi", ["--env-file", bad.path, "--check-config"], "FCGI_WORKERS"),
                ("payments-sync", ["report", "--env-file", bad.path], "DB_"),
                ("payments-sandbox", ["serve", "--env-file", bad.path], "SANDBOX_PORT_BASE"),
            ]
            for (name, arguments, named) in runs {
                let result = try Command.run(stack.env.executable(name), arguments, timeout: 30)
                #expect(result.status == 78, "\(name): \(result)")
                #expect(result.error.contains("\(name): ") && result.error.contains(named), "\(name): \(result)")
            }
        }

        @Test("--check-config reports every problem at once, and warns on unknown variables and unknown *_ENABLED")
        func checkConfigReportsEverything() throws {
            let stack = try PrivateStack.fresh()
            let directory = FileManager.default.temporaryDirectory
            let broken = directory.appendingPathComponent("itest-check-\(TestIDs.random(8)).env")
            // Several problems within one part too (the socket, the core settings, Stripe's): each is listed.
            try """
            FCGI_SOCKET=relative.sock
            FCGI_SOCKET_MODE=999
            FCGI_WORKERS=many
            LOG_LEVEL=loud
            DB_SOCKET=/tmp/x.sock
            DB_USER=u
            AMOUNT_MIN_CENTS=lots
            MAX_BODY_BYTES=5
            RETAIL_API_URL=ftp://retail.example
            STRIPE_ENABLED=true
            STRIPE_WEBHOOK_TOLERANCE_SECONDS=-1
            STRIPE_API_BASE=https://api.stripe.com/v1

            """.write(to: broken, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: broken) }
            let failed = try Command.run(
                stack.env.executable("payments-fcgi"), ["--check-config", "--env-file", broken.path], timeout: 30)
            #expect(failed.status == 78, "\(failed)")
            let expected = [
                "LOG_LEVEL must be", "FCGI_SOCKET must be an absolute path", "FCGI_SOCKET_MODE must be octal",
                "FCGI_WORKERS must be an integer", "DB_NAME is required", "PUBLIC_BASE_URL is required",
                "AMOUNT_MIN_CENTS must be an integer", "MAX_BODY_BYTES must be within",
                "RETAIL_API_URL must be an http(s) URL", "RETAIL_API_KEY is required",
                "FIREBASE_PROJECT_ID is required",
                "STRIPE_WEBHOOK_SECRET is required", "STRIPE_SECRET_KEY is required",
                "STRIPE_PUBLISHABLE_KEY is required", "STRIPE_WEBHOOK_TOLERANCE_SECONDS must be within",
                "STRIPE_API_BASE must be scheme, host and port only",
            ]
            for problem in expected {
                #expect(failed.error.contains("configuration: \(problem)"), "'\(problem)' not reported: \(failed)")
            }
            #expect(failed.error.contains("\(expected.count) configuration problem(s)"), "\(failed)")

            // The stack's own (valid) file plus a typo and a gateway that does not exist: OK, with warnings.
            let original = try String(contentsOfFile: stack.env.envFilePath, encoding: .utf8)
            let extended = directory.appendingPathComponent("itest-check-ok-\(TestIDs.random(8)).env")
            try (original + "\nRETAIL_API_KYE=typo\nBITPAY_ENABLED=true\n")
                .write(to: extended, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: extended) }
            let passed = try Command.run(
                stack.env.executable("payments-fcgi"),
                ["--check-config", "--env-file", extended.path, "--sql-dir", stack.env.repo + "/sql"], timeout: 60)
            #expect(passed.status == 0 && passed.output.contains("configuration OK"), "\(passed)")
            #expect(passed.error.contains("RETAIL_API_KYE is not a variable tn-payments reads"), "\(passed)")
            #expect(passed.error.contains("BITPAY_ENABLED: no gateway of this name exists"), "\(passed)")
        }

        @Test("migrate --status lists every sql/ file as applied with the checksum the database recorded")
        func migrateStatus() throws {
            let stack = try PrivateStack.fresh()
            let result = try stack.paymentsSync(["migrate", "--status", "--sql-dir", stack.env.repo + "/sql"])
            #expect(result.status == 0, "\(result)")
            let recorded = try stack.db.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
            #expect(!recorded.isEmpty)
            for row in recorded {
                let line = "\(try row.string(0))  applied  \(try row.string(1))"
                #expect(result.output.contains(line), "missing '\(line)' in \(result)")
            }
            #expect(result.output.contains("migrate: \(recorded.count) applied, 0 pending or changed"), "\(result)")
        }
    }
}

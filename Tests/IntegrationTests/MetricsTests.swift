import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// `GET /api/metrics` (DESIGN §11): the backlog gauges against the database, and the circuit state per service as
    /// a breaker opens (DESIGN §3). Each test has a private stack: the gauges count every row in the database, and an
    /// open Stripe breaker would refuse every other test's payments for 30 s.
    @Suite("Metrics: backlog gauges and circuit states", .serialized)
    struct MetricsTests {
        /// The metrics page through nginx, as `name{labels}` → value.
        static func metrics(_ stack: Stack) throws -> [String: Double] {
            let page = try stack.api.get("metrics", token: nil)
            try #require(page.status == 200, "metrics: \(page)")
            #expect(page.header("Content-Type") == "text/plain; version=0.0.4")
            var values: [String: Double] = [:]
            for line in page.text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
                else {
                    Issue.record("unreadable metrics line: \(line)")
                    continue
                }
                values[String(line[..<space])] = value
            }
            return values
        }

        /// The database's own count of unsynced rows and the age of the oldest, in seconds.
        static func backlog(_ stack: Stack) throws -> (rows: Int64, oldest: Int64) {
            let row = try #require(
                try stack.db.query(
                    "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), UTC_TIMESTAMP(6)), 0) "
                        + "FROM tn_payments WHERE is_synced = 0"
                ).first)
            return (try row.int64(0), try row.int64(1))
        }

        /// Reads the gauges and checks them against the database read just before and just after.
        static func expectGauges(_ stack: Stack, rows: Int64, _ context: String) throws {
            let before = try backlog(stack)
            let page = try metrics(stack)
            let after = try backlog(stack)
            #expect(before.rows == rows && after.rows == rows, "\(context): the database has \(before.rows) rows")
            #expect(page["payments_unsynced_rows"] == Double(rows), "\(context): \(page)")
            let oldest = try #require(page["payments_oldest_unsynced_seconds"], "\(context): no oldest gauge")
            #expect(
                (Double(before.oldest)...Double(after.oldest)).contains(oldest),
                "\(context): oldest \(oldest) s, the database says \(before.oldest)...\(after.oldest) s")
        }

        /// The circuit state gauge of each service (0 closed, 1 half-open, 2 open).
        static func circuits(_ stack: Stack) throws -> [String: Double] {
            var states: [String: Double] = [:]
            for (key, value) in try metrics(stack) where key.hasPrefix("payments_circuit_state{service=\"") {
                states[String(key.dropFirst("payments_circuit_state{service=\"".count).dropLast(2))] = value
            }
            return states
        }

        /// The values of a payments-sync textfile, as `name{labels}` → value.
        static func textfile(_ path: String) throws -> [String: Double] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let value = Double(parts[1]) else {
                    Issue.record("unreadable textfile line: \(line)")
                    continue
                }
                values[String(parts[0])] = value
            }
            return values
        }

        @Test(
            "after a webhook: the route's duration histogram, the Stripe and Retail outbound series, build info, workers"
        )
        func routeAndOutboundSeries() throws {
            let stack = try Stack.connect()
            let route = "stripe-handleWebhookEvents"
            let payment = try stack.paidIntent(amount: 1400, tag: "metrics")
            #expect(try stack.waitForSync(payment.intentID, uid: payment.uid))
            let page = try Self.metrics(stack)
            let count = try #require(page["payments_request_duration_seconds_count{route=\"\(route)\"}"], "\(page)")
            #expect(count >= 1)
            // Every answer is in the +Inf bucket; the buckets only grow.
            #expect(page["payments_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"}"] == count)
            let buckets = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "10.0"]
            let counts = buckets.compactMap {
                page["payments_request_duration_seconds_bucket{route=\"\(route)\",le=\"\($0)\"}"]
            }
            #expect(counts.count == buckets.count, "\(page.keys.filter { $0.contains(route) })")
            #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 } && (counts.last ?? 0) <= count)
            #expect((page["payments_request_duration_seconds_sum{route=\"\(route)\"}"] ?? 0) > 0)
            #expect((page["payments_requests_total{route=\"\(route)\",status=\"200\"}"] ?? 0) >= 1)
            #expect((page["payments_webhooks_total{gateway=\"stripe\",outcome=\"processed\"}"] ?? 0) >= 1)
            // The PaymentIntent was created at Stripe, and the credit pushed to Retail by the responder's queue.
            for service in ["stripe", "retail", "firebase"] {
                let calls = page["payments_outbound_request_duration_seconds_count{service=\"\(service)\"}"]
                #expect((calls ?? 0) >= 1, "\(service): \(String(describing: calls))")
            }
            let build = page.keys.filter { $0.hasPrefix("payments_build_info{version=\"") }
            #expect(build.count == 1 && build.allSatisfy { page[$0] == 1 && $0.contains(",commit=\"") }, "\(build)")
            #expect((page["payments_workers"] ?? 0) >= 1)
            // The scrape itself is a request a worker is answering.
            #expect((1...(page["payments_workers"] ?? 0)).contains(page["payments_workers_busy"] ?? -1))
            #expect(page["payments_push_queue_depth"] != nil)
            // The credit went through the group commit: at least one transaction, never more than its credits.
            let batches = try #require(page["payments_credit_batches_total"], "\(page.keys.sorted())")
            let credits = try #require(page["payments_credit_batch_items_total"])
            #expect(batches >= 1 && credits >= batches)
        }

        /// The shipped sites pass to the responder over kept FastCGI connections (`fastcgi_keep_conn on`, upstream
        /// `keepalive`): sequential requests through nginx reuse one connection instead of opening one each. A private
        /// stack, so no other test's requests open connections meanwhile.
        @Test("nginx keeps its FastCGI connections: 40 sequential requests open at most a few")
        func fastCGIConnectionsAreKept() throws {
            let own = try PrivateStack.start("keepconn", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            let health = "payments_requests_total{route=\"health\",status=\"200\"}"
            let before = try Self.metrics(stack)
            let accepted = try #require(
                before["payments_fastcgi_connections_accepted_total"], "\(before.keys.sorted())")
            for _ in 0..<40 {
                #expect(try stack.api.get("health", token: nil).status == 200)
            }
            let after = try Self.metrics(stack)
            #expect((after[health] ?? 0) - (before[health] ?? 0) == 40)
            let opened = (after["payments_fastcgi_connections_accepted_total"] ?? 0) - accepted
            // One nginx worker: its kept connection carries every request (a second one at most, had it closed one).
            #expect(opened <= 2, "\(opened) connections for 41 requests")
        }

        @Test(
            "payments_unsynced_rows and payments_oldest_unsynced_seconds agree with the database as rows wait and sync")
        func backlogGauges() throws {
            let own = try PrivateStack.start("gauges", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            try Self.expectGauges(stack, rows: 0, "empty ledger")
            #expect(try Self.metrics(stack)["payments_oldest_unsynced_seconds"] == 0)

            try stack.sandbox.retailMode("fail")
            let first = try stack.paidIntent(amount: 1100, tag: "gauges")
            let second = try stack.paidIntent(amount: 1200, tag: "gauges")
            for payment in [first, second] {
                #expect(try RetailSyncTests.waitForFailedPush(stack, payment.intentID))
            }
            try stack.db.execute(
                "UPDATE tn_payments SET created_at = created_at - INTERVAL 1 HOUR WHERE payment_id = ?",
                [.text(first.intentID)])
            try Self.expectGauges(stack, rows: 2, "two rows Retail refused to take")
            #expect((3600...3660).contains(try Self.metrics(stack)["payments_oldest_unsynced_seconds"] ?? 0))

            // A row Retail refused for good is unsynced too.
            try stack.sandbox.retailMode("ok")
            let (_, token) = try stack.newUser("gauges")
            let refusedID = try stack.createIntent(token: token, amount: 1300)
            try stack.sandbox.retailReject(refusedID, status: 422)
            try stack.sandbox.pay(refusedID)
            #expect(try eventually { try stack.db.syncStatus(paymentID: refusedID)?.state == "failed" })
            try Self.expectGauges(stack, rows: 3, "and one failed row")

            // payments-sync's textfile: the run's rows and the backlog it left (one row refused for good).
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let textfile = directory.appendingPathComponent("payments-sync.prom").path
            for payment in [first, second] { try stack.db.makeRowsDue(uid: payment.uid) }
            let started = Date().timeIntervalSince1970
            let run = try stack.paymentsSync(["run"], environment: ["SYNC_METRICS_TEXTFILE": textfile])
            #expect(run.status == 0, "\(run)")
            try Self.expectGauges(stack, rows: 1, "after the run synced the pending rows")
            let written = try Self.textfile(textfile)
            #expect(written["payments_sync_last_run_rows{outcome=\"synced\"}"] == 2, "\(written)")
            #expect(written["payments_sync_last_run_rows{outcome=\"failed\"}"] == 0, "\(written)")
            #expect(
                written["payments_sync_unsynced_rows"] == 1 && written["payments_sync_failed_rows"] == 1, "\(written)")
            #expect((0...60).contains(written["payments_sync_oldest_unsynced_seconds"] ?? -1), "\(written)")
            let success = try #require(written["payments_sync_last_success_timestamp_seconds"], "\(written)")
            #expect(success >= started.rounded(.down) && success <= Date().timeIntervalSince1970, "\(written)")
            #expect(written["payments_sync_last_run_timestamp_seconds"] == success)
            let mode = try FileManager.default.attributesOfItem(atPath: textfile)[.posixPermissions] as? Int
            #expect(mode == 0o644)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["payments-sync.prom"])
            #expect((0...60).contains(try Self.metrics(stack)["payments_oldest_unsynced_seconds"] ?? -1))

            try stack.sandbox.retailReject(refusedID, status: 0)
            #expect(try stack.paymentsSync(["requeue", refusedID]).status == 0)
            #expect(try stack.paymentsSync(["run"]).status == 0)
            try Self.expectGauges(stack, rows: 0, "everything synced")
            #expect(try Self.metrics(stack)["payments_oldest_unsynced_seconds"] == 0)
        }

        @Test(
            "five Stripe failures: 502 each, then 503 GatewayUnavailableException with Retry-After and no call; stripe circuit 0 → 2"
        )
        func stripeBreakerOpens() throws {
            let own = try PrivateStack.start("breaker", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            let (uid, token) = try stack.newUser("breaker")
            // Every outbound service is on the page from the start, the ones not called yet included.
            let closed = try Self.circuits(stack)
            #expect(Set(closed.keys).isSuperset(of: ["firebase", "recaptcha", "retail", "stripe"]), "\(closed)")
            #expect(closed.values.allSatisfy { $0 == 0 }, "\(closed)")

            try stack.sandbox.failStripe(endpoint: "create", times: 5, status: 500)
            for attempt in 1...5 {
                let answer = try stack.api.createIntent(amount: 1000, token: token)
                #expect(answer.status == 502, "attempt \(attempt): \(answer)")
                #expect(answer.errorName == "GatewayUnavailableException", "attempt \(attempt): \(answer)")
                #expect(answer.header("Retry-After") == nil, "attempt \(attempt): \(answer.headers)")
            }
            let opened = try Self.circuits(stack)
            #expect(opened["stripe"] == 2, "\(opened)")
            let failures = try Self.metrics(stack)
            #expect(failures["payments_outbound_errors_total{service=\"stripe\",kind=\"http_5xx\"}"] == 5)
            #expect(failures["payments_outbound_request_duration_seconds_count{service=\"stripe\"}"] == 5)
            #expect(failures["payments_outbound_errors_total{service=\"stripe\",kind=\"circuit_open\"}"] == nil)
            #expect(opened.filter { $0.key != "stripe" }.values.allSatisfy { $0 == 0 }, "\(opened)")

            // Stripe would answer now (the five failures are used up), but the open circuit does not call it.
            let refused = try stack.api.createIntent(amount: 1000, token: token)
            #expect(refused.status == 503, "\(refused)")
            #expect(refused.errorName == "GatewayUnavailableException", "\(refused)")
            let retryAfter = try #require(refused.header("Retry-After").flatMap { Int($0) }, "\(refused.headers)")
            #expect((1...30).contains(retryAfter), "Retry-After \(retryAfter)")
            #expect(try stack.sandbox.intents().isEmpty, "a call reached Stripe through the open circuit")
            let sessions = try stack.db.sessions(uid: uid)
            #expect(sessions.count == 6)
            #expect(sessions.allSatisfy { $0.status == "failed" && $0.externalID == nil }, "\(sessions)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try Self.circuits(stack)["stripe"] == 2)
            let refusals = try Self.metrics(stack)
            #expect(refusals["payments_outbound_errors_total{service=\"stripe\",kind=\"circuit_open\"}"] == 1)
            #expect(refusals["payments_outbound_request_duration_seconds_count{service=\"stripe\"}"] == 5)
            #expect(refusals["payments_requests_total{route=\"stripe-getPaymentIntent\",status=\"503\"}"] == 1)
        }
    }
}

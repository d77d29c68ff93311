import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// What holds on a 3-node Galera cluster (`make test-cluster`, against `scripts/cluster.sh`), where row locks and
/// `SKIP LOCKED` are node-local and only committed, replicated rows (leases, claim tokens, unique keys) are
/// cluster-wide: the migration lease, whole-transaction reruns after certification conflicts and brute-force aborts
/// (the `transaction` path and the `CALL` path), push and reconcile claims with the writer moving between nodes, and a
/// node that is not ready answering 503. Skipped without a cluster (`TEST_GALERA_HOST`).
///
/// Serialized: one test makes node 2 refuse queries for a moment.
@Suite(.enabled(if: GaleraCluster.isConfigured), .serialized) struct GaleraTests {
    static func credit(_ eventID: String, _ paymentID: String, cents: Int64 = 500) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: eventID, eventType: "payment_intent.succeeded", payload: Array("{}".utf8),
                headers: [], outcome: "booked"),
            entries: [
                LedgerEntry(paymentID: paymentID, uid: "u-galera", gateway: "stripe", amount: Money(cents: cents))
            ])
    }

    /// Writes `count` credits through HAProxy and makes them due now; returns their ids.
    static func dueCredits(_ database: GaleraDatabase, count: Int) throws -> [Int64] {
        let ledger = MariaDBLedger(configuration: database.proxy())
        defer { ledger.close() }
        var ids: [Int64] = []
        for index in 0..<count {
            let outcome = try ledger.apply(credit("evt_due_\(index)", "pi_due_\(index)"))
            ids.append(try #require(outcome.insertedRows.first?.id))
        }
        try database.write("UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
        return ids.sorted()
    }

    /// Starts `claimDue` through node 2 as the account without SUPER, with a trigger that makes its claim UPDATE sleep
    /// `seconds`, and returns once it sleeps there (its row locks taken, nothing committed yet).
    static func slowClaimOnNode2(_ database: GaleraDatabase, seconds: Double) throws -> BackgroundCall<[SyncRow]> {
        try database.slowDown("BEFORE UPDATE", on: "tn_payments", seconds: seconds)
        try database.caughtUp(node: 1)
        let slowNode = database.appNode(1)
        let slow = BackgroundCall { () throws(LedgerError) -> [SyncRow] in
            let store = SyncStore(configuration: slowNode)
            defer { store.close() }
            return try store.claimDue(limit: 10)
        }
        try database.waitUntilAppSleeps(node: 1, during: slow)
        return slow
    }

    /// Runs `expireAndClaim` (end the leases through node 2, claim there) until it claims `count` rows, for up to 10 s.
    ///
    /// On the loopback cluster an expiry written through node 2 a few milliseconds after node 1's claim was, in a few
    /// runs of many, not seen by node 2's next claim (the rows still showed node 1's lease): Galera documents lost
    /// updates between nodes, and the direction here is the safe one (a lease that outlives its end). The claims
    /// before the expiry and the stale marks after it are checked once, not retried.
    static func afterExpiry<Row>(of count: Int, _ expireAndClaim: () throws -> [Row]) throws -> [Row] {
        let deadline = Date().addingTimeInterval(10)
        var claimed = try expireAndClaim()
        while claimed.count < count && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            claimed = try expireAndClaim()
        }
        return claimed
    }

    func tokens(_ database: GaleraDatabase, node: Int) throws -> Set<Int64> {
        Set(
            try database.admin[node].query("SELECT sync_claim_token FROM tn_payments").compactMap {
                try $0.optionalInt64(0)
            })
    }

    @Test("GET_LOCK cannot serialise migrates on Galera: refused (1235) or held per node")
    func getLockIsNotClusterWide() throws {
        let database = try GaleraDatabase(migrate: false)
        let first = try Connection(options: database.node(0).connectionOptions)
        let second = try Connection(options: database.node(1).connectionOptions)
        defer {
            first.close()
            second.close()
        }
        do {
            #expect(try first.queryOne("SELECT GET_LOCK('tn_galera_probe', 0)")?.optionalInt64(0) == 1)
            // Held by node 1's session, and yet node 2's session takes it at once.
            #expect(try second.queryOne("SELECT GET_LOCK('tn_galera_probe', 0)")?.optionalInt64(0) == 1)
        } catch {
            #expect(error.code == 1235, "\(error)")
        }
    }

    @Test("two migrates through two nodes at once apply every file exactly once")
    func migratesThroughTwoNodesApplyEachFileOnce() throws {
        let database = try GaleraDatabase(migrate: false)
        let outcomes = ParallelMigrates.run(
            configurations: [database.node(0), database.node(1), database.node(0), database.node(1)],
            directory: TestDatabase.sqlDirectory)
        for case .failure(let error) in outcomes { Issue.record("a migrate failed: \(error)") }
        let versions = try TestDatabase.migrationVersions
        #expect(outcomes.compactMap { try? $0.get() }.flatMap { $0 }.sorted() == versions)
        let last = database.lastNode
        #expect(try database.count("SELECT COUNT(*) FROM schema_migrations", node: last) == versions.count)
        #expect(try database.count("SELECT COUNT(*) FROM schema_migration_lock", node: last) == 0)
        try Migrator(configuration: database.node(last), directory: TestDatabase.sqlDirectory).check()
    }

    @Test("SKIP LOCKED does not see another node's row locks: the later commit fails certification with 1213")
    func skipLockedIsNodeLocalAndCertificationDecides() throws {
        let database = try GaleraDatabase()
        let ids = try Self.dueCredits(database, count: 3)
        let other = try Connection(options: database.node(1).connectionOptions)
        defer { other.close() }
        try other.executeText("SET SESSION wsrep_sync_wait = 1")
        try other.begin()
        let locked = try other.query(
            "SELECT id FROM tn_payments WHERE sync_state = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED")
        #expect(try locked.map { try $0.int64(0) } == ids)
        try other.execute(
            "UPDATE tn_payments SET sync_claim_token = 42, sync_claimed_until = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND")

        let store = SyncStore(configuration: database.node(0))
        defer { store.close() }
        let claimed = try store.claimDue(limit: 10)
        #expect(claimed.map(\.id).sorted() == ids, "node 1 claimed the rows node 2 holds locked")
        do {
            try other.commit()
            Issue.record("node 2's conflicting claim committed too")
        } catch {
            #expect(error.isDeadlock, "a certification conflict is 1213: \(error)")
        }
        try? other.rollback()
        let token = try #require(claimed.first?.claim?.token)
        #expect(try tokens(database, node: 1) == [token])
    }

    @Test("a claim on node 2 aborted by node 1's committed claim reruns whole and ends disjoint")
    func aClaimAbortedByAnotherNodeIsRerunWhole() throws {
        let database = try GaleraDatabase()
        let ids = try Self.dueCredits(database, count: 4)
        let abortsBefore = try database.status("wsrep_local_bf_aborts", node: 1)
        let slow = try Self.slowClaimOnNode2(database, seconds: 3)
        let store = SyncStore(configuration: database.node(0))
        defer { store.close() }
        let claimed = try store.claimDue(limit: 10)
        #expect(claimed.map(\.id).sorted() == ids)

        let rerun = try slow.value()
        #expect(try rerun.get() == [], "node 2's claim reran after the abort and found every row leased")
        #expect(try database.status("wsrep_local_bf_aborts", node: 1) > abortsBefore, "node 2's claim was aborted")
        #expect(try tokens(database, node: 1) == [try #require(claimed.first?.claim?.token)])
    }

    @Test("a credit's CALL on node 2 aborted by the same delivery committed on node 1 reruns whole: one row")
    func theCallPathIsRerunWholeAfterAnAbort() throws {
        let database = try GaleraDatabase()
        try database.slowDown("BEFORE INSERT", on: "tn_payments", seconds: 3)
        let abortsBefore = try database.status("wsrep_local_bf_aborts", node: 1)
        try database.caughtUp(node: 1)
        let slowNode = database.appNode(1)
        let slow = BackgroundCall { () throws(LedgerError) -> LedgerOutcome in
            let ledger = MariaDBLedger(configuration: slowNode)
            defer { ledger.close() }
            return try ledger.apply(Self.credit("evt_twice", "pi_twice"), claimingCreditsForPush: false)
        }
        try database.waitUntilAppSleeps(node: 1, during: slow)
        let ledger = MariaDBLedger(configuration: database.node(0))
        defer { ledger.close() }
        #expect(try ledger.apply(Self.credit("evt_twice", "pi_twice")).insertedRows.count == 1)

        let rerun = try slow.value()
        #expect(try rerun.get().duplicateEvent, "the rerun CALL found the delivery already booked")
        #expect(try database.status("wsrep_local_bf_aborts", node: 1) > abortsBefore)
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM tn_payments WHERE payment_id = 'pi_twice'", node: database.lastNode) == 1)
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_twice'", node: database.lastNode) == 1)
    }

    @Test("a COMMIT the node cannot replicate (1180: it left the primary component) is an unknown outcome, not rerun")
    func aCommitThatCannotReplicateIsAnUnknownOutcome() throws {
        let database = try GaleraDatabase()
        _ = try Self.dueCredits(database, count: 2)
        let slow = try Self.slowClaimOnNode2(database, seconds: 5)
        var isolated = true
        defer { if isolated { try? database.rejoin(node: 1) } }
        try database.isolate(node: 1, during: slow)

        guard case .failure(let error) = try slow.value() else {
            Issue.record("the claim committed on a node outside the primary component")
            return
        }
        #expect(error.kind == .unknownOutcome, "\(error)")
        #expect(error.apiError.code.status == 503)
        try database.rejoin(node: 1)
        isolated = false
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE sync_claim_token IS NOT NULL") == 0)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE sync_claim_token IS NOT NULL", node: 1) == 0)
    }

    @Test("push leases hold when the writer moves: no second claim before expiry, a stale token marks nothing")
    func pushLeasesHoldAcrossNodes() throws {
        let database = try GaleraDatabase()
        let ids = try Self.dueCredits(database, count: 3)
        let first = SyncStore(configuration: database.node(0))
        let second = SyncStore(configuration: database.node(1))
        defer {
            first.close()
            second.close()
        }
        let batch = try first.claimDue(limit: 10)
        #expect(batch.map(\.id).sorted() == ids)
        #expect(try second.claimDue(limit: 10) == [], "node 2 sees node 1's leases")
        for id in ids { #expect(try second.claim(rowID: id) == nil) }

        // The writer moved and node 1's pusher stalled past its lease: node 2 takes the rows over.
        let takeover = try Self.afterExpiry(of: ids.count) { () throws -> [SyncRow] in
            try database.write(
                "UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND", node: 1)
            return try second.claimDue(limit: 10)
        }
        let seen = try database.claimState(node: 1)
        #expect(takeover.map(\.id).sorted() == ids, "rows on node 2: \(seen)")
        #expect(try first.markSynced(batch) == 0, "the stale claim marks nothing")
        #expect(try first.markRetry(try #require(batch.first), error: "late", retryAfterSeconds: nil) == false)
        #expect(
            try database.count("SELECT COUNT(*) FROM tn_payments WHERE sync_state = 'pending'", node: database.lastNode)
                == 3)
        #expect(try second.markSynced(takeover) == 3)
        #expect(
            try database.count("SELECT COUNT(*) FROM tn_payments WHERE sync_state = 'synced'", node: database.lastNode)
                == 3)
    }

    @Test("reconcile leases hold when the writer moves")
    func reconcileLeasesHoldAcrossNodes() throws {
        let database = try GaleraDatabase()
        let ledger = MariaDBLedger(configuration: database.proxy())
        defer { ledger.close() }
        var ids: [Int64] = []
        for _ in 0..<3 {
            ids.append(
                try ledger.createSession(gateway: "stripe", uid: "u-galera", amount: Money(cents: 700), currency: "USD")
                    .id)
        }
        try database.write("UPDATE payment_sessions SET next_reconcile_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
        let first = ReconcileStore(configuration: database.node(0))
        let second = ReconcileStore(configuration: database.node(1))
        defer {
            first.close()
            second.close()
        }
        #expect(try first.claimDueSessions(limit: 10).map(\.id).sorted() == ids.sorted())
        #expect(try second.claimDueSessions(limit: 10) == [], "node 2 sees node 1's leases")
        let takeover = try Self.afterExpiry(of: ids.count) { () throws -> [PaymentSession] in
            try database.write(
                "UPDATE payment_sessions SET reconcile_claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND", node: 1)
            return try second.claimDueSessions(limit: 10)
        }
        let seen = try database.admin[1].query(
            "SELECT CONCAT_WS(' ', id, status, reconcile_claimed_until, next_reconcile_at, UTC_TIMESTAMP(6)) FROM payment_sessions"
        ).map { try $0.string(0) }
        #expect(takeover.map(\.id).sorted() == ids.sorted(), "sessions on node 2: \(seen)")
    }

    @Test("a node that refuses queries (1047) is 503 with Retry-After, and the next call reconnects")
    func aNodeThatIsNotReadyAnswers503() throws {
        let database = try GaleraDatabase()
        let ledger = MariaDBLedger(configuration: database.appNode(1))
        defer { ledger.close() }
        try ledger.ping()
        try database.admin[1].executeText("SET GLOBAL wsrep_reject_queries = ALL")
        defer { try? database.admin[1].executeText("SET GLOBAL wsrep_reject_queries = NONE") }
        do {
            try ledger.ping()
            Issue.record("health passed on a node that refuses every table")
        } catch {
            #expect(error.kind == .unavailable, "\(error)")
            #expect(error.apiError.code.status == 503)
            #expect(error.apiError.headers.contains { $0.0 == "Retry-After" })
        }
        try database.admin[1].executeText("SET GLOBAL wsrep_reject_queries = NONE")
        try ledger.ping()
    }
}

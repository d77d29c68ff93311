import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

/// The responder's connections lent request by request (`DatabaseSessionPool`): a pooled ledger borrows one when it
/// first needs it and never opens one of its own, and credits that wait for their batch give theirs back, so more
/// requests are in flight than there are connections.
@Suite struct DatabaseSessionPoolTests {
    @Test func aPooledLedgerBorrowsOnFirstUseAndWaitsForAFreeConnection() throws {
        let database = try TestDatabase()
        let pool = DatabaseSessionPool(configuration: database.configuration, count: 1)
        defer { pool.closeAll() }
        let holding = DispatchSemaphore(value: 0)
        let asking = DispatchSemaphore(value: 0)
        let events = Mutex<[String]>([])
        let connectionIDs = Mutex<[Int: Int64]>([:])
        @Sendable func note(_ event: String) { events.withLock { $0.append(event) } }
        TestDatabase.onThreads(2) { thread in
            let ledger = MariaDBLedger(pool: pool)
            if thread == 0 {
                // Nothing is borrowed before the first call; the call borrows the pool's only connection.
                if ledger.connectionID != nil { note("held a connection before any call") }
                do {
                    _ = try ledger.apply(DatabaseSessionPoolTests.credit("held"), claimingCreditsForPush: false)
                } catch {
                    note("credit failed: \(error)")
                }
                connectionIDs.withLock { $0[0] = ledger.connectionID }
                holding.signal()
                asking.wait()
                usleep(200_000)  // the other thread is now waiting for the connection
                note("returned")
                ledger.returnConnection()
                if ledger.connectionID != nil { note("held a connection after returning it") }
            } else {
                holding.wait()
                asking.signal()
                let found = (try? ledger.entry(paymentID: "pi_held")) != nil
                note(found ? "read" : "read nothing")
                connectionIDs.withLock { $0[1] = ledger.connectionID }
                ledger.close()
            }
        }
        // The second ledger waited for the one connection instead of opening another, and got it still open.
        #expect(events.withLock { $0 } == ["returned", "read"])
        let ids = connectionIDs.withLock { $0 }
        #expect(ids[0] != nil && ids[0] == ids[1])
    }

    @Test func moreCreditsAreInFlightThanConnectionsAndEachIsConfirmedOnce() throws {
        let database = try TestDatabase()
        let pool = DatabaseSessionPool(configuration: database.configuration, count: Self.connections)
        defer { pool.closeAll() }
        let connectionIDs = Mutex<Set<Int64>>([])
        let applying = Atomic<Int>(0)
        let mostApplying = Atomic<Int>(0)
        let answeredWithoutConnection = Atomic<Int>(0)
        let inserted = Self.confirmAsWorkers(
            pool: pool, group: CreditConfirmationGroup(), prefix: "",
            before: { _, _ in
                let now = applying.add(1, ordering: .sequentiallyConsistent).newValue
                _ = mostApplying.max(now, ordering: .sequentiallyConsistent)
            },
            after: { ledger, _ in
                applying.subtract(1, ordering: .sequentiallyConsistent)
                if let id = ledger.connectionID {
                    connectionIDs.withLock { _ = $0.insert(id) }
                } else {
                    answeredWithoutConnection.add(1, ordering: .sequentiallyConsistent)
                }
            })
        try Self.expectEachConfirmedOnce(inserted, prefix: "", in: database)
        // Never more connections than the pool's, yet more credits at once than connections: waiting ones gave
        // theirs back. Holding it while waiting would cap the credits in flight at the connections.
        #expect(connectionIDs.withLock { $0.count } <= Self.connections)
        #expect(mostApplying.load(ordering: .sequentiallyConsistent) > Self.connections)
        // A credit answered by another thread's batch holds no connection afterwards: it did not borrow one back
        // just to collect its answer.
        #expect(answeredWithoutConnection.load(ordering: .sequentiallyConsistent) > 0)
    }

    /// The responder's arrangement: batches run on the group's own connections (two), so a worker gives its
    /// connection back before its credit is confirmed and never borrows one for it; the server sees at most the
    /// workers' connections plus the group's, and every credit is confirmed once.
    @Test func batchesRunOnTheGroupsOwnConnections() throws {
        let database = try TestDatabase()
        let pool = DatabaseSessionPool(configuration: database.configuration, count: Self.connections)
        defer { pool.closeAll() }
        let group = CreditConfirmationGroup(batchConnections: database.configuration)
        defer { group.closeConnections() }
        let heldAfterwards = Atomic<Int>(0)
        let mostOpen = Atomic<Int>(0)
        let configuration = database.configuration
        let databaseName = database.name
        let inserted = Self.confirmAsWorkers(
            pool: pool, group: group, prefix: "g",
            before: { ledger, thread in
                // As a worker: it reads first (borrowing a pool connection), then confirms.
                _ = try? ledger.entry(paymentID: "pi_none")
            },
            after: { ledger, thread in
                if ledger.connectionID != nil { heldAfterwards.add(1, ordering: .sequentiallyConsistent) }
                // Thread 0 counts the server's connections to this database as it goes, on a connection of its own.
                guard thread == 0, let monitor = try? Connection(options: configuration.connectionOptions) else {
                    return
                }
                defer { monitor.close() }
                let open = try? monitor.queryOne(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?", [.text(databaseName)]
                )?.int(0)
                if let open { _ = mostOpen.max(open, ordering: .sequentiallyConsistent) }
            })
        try Self.expectEachConfirmedOnce(inserted, prefix: "g", in: database)
        // No credit left its worker holding a connection: the confirmation ran on the group's.
        #expect(heldAfterwards.load(ordering: .sequentiallyConsistent) == 0)
        // The pool's, the group's two, and the test's admin and monitor connections (their DB is this one too).
        let most = mostOpen.load(ordering: .sequentiallyConsistent)
        #expect(most > 2 && most <= Self.connections + CreditConfirmationGroup.inFlightLimit + 2, "\(most) open")
    }

    private static let connections = 3
    private static let threads = 12
    private static let perThread = 20

    /// Confirms `threads` × `perThread` credits from as many threads, each as a worker answers a request: `before`,
    /// the credit (borrowing a connection when needed), `after`, then the connection given back. Returns the payment
    /// ids answered as inserted, after expecting no failure.
    private static func confirmAsWorkers(
        pool: DatabaseSessionPool, group: CreditConfirmationGroup, prefix: String,
        before: @escaping @Sendable (MariaDBLedger, Int) -> Void,
        after: @escaping @Sendable (MariaDBLedger, Int) -> Void
    ) -> Set<String> {
        let failures = Mutex<[String]>([])
        let inserted = Mutex<Set<String>>([])
        TestDatabase.onThreads(threads) { thread in
            let ledger = MariaDBLedger(pool: pool, creditGroup: group)
            for index in 0..<perThread {
                let name = "\(prefix)\(thread)-\(index)"
                before(ledger, thread)
                do {
                    let outcome = try ledger.apply(credit(name), claimingCreditsForPush: true)
                    inserted.withLock { $0.formUnion(outcome.insertedRows.map(\.paymentID)) }
                } catch {
                    failures.withLock { $0.append("\(name): \(error)") }
                }
                after(ledger, thread)
                ledger.returnConnection()
            }
        }
        #expect(failures.withLock { $0 } == [])
        return inserted.withLock { $0 }
    }

    /// Every credit answered inserted once, and stored once with its event.
    private static func expectEachConfirmedOnce(_ inserted: Set<String>, prefix: String, in database: TestDatabase)
        throws
    {
        let expected = Set((0..<threads).flatMap { thread in (0..<perThread).map { "pi_\(prefix)\(thread)-\($0)" } })
        #expect(inserted == expected)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == threads * perThread)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == threads * perThread)
    }

    private static func credit(_ name: String) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: "evt_\(name)", eventType: "payment_intent.succeeded",
                payload: Array("{\"id\":\"evt_\(name)\"}".utf8), headers: [("Stripe-Signature", "t=1,v1=x")],
                outcome: "credited"),
            entries: [LedgerEntry(paymentID: "pi_\(name)", uid: "u1", gateway: "stripe", amount: Money(cents: 1000))])
    }
}

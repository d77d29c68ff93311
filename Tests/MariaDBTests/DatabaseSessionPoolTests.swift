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

    /// The responder's arrangement: batches run on the group's own connections (two), so a worker gives its
    /// connection back before its credit is confirmed and never borrows one for it. More credits are in flight than
    /// the pool has connections, the server sees at most the pool's plus the group's, and each is confirmed once.
    @Test func moreCreditsAreInFlightThanConnectionsAndEachIsConfirmedOnce() throws {
        let database = try TestDatabase()
        let connections = 3
        let threads = 12
        let perThread = 20
        let pool = DatabaseSessionPool(configuration: database.configuration, count: connections)
        defer { pool.closeAll() }
        let group = CreditConfirmationGroup(batchConnections: database.configuration)
        defer { group.closeConnections() }
        let failures = Mutex<[String]>([])
        let inserted = Mutex<Set<String>>([])
        let applying = Atomic<Int>(0)
        let mostApplying = Atomic<Int>(0)
        let heldAfterwards = Atomic<Int>(0)
        let mostOpen = Atomic<Int>(0)
        let configuration = database.configuration
        let databaseName = database.name
        TestDatabase.onThreads(threads) { thread in
            let ledger = MariaDBLedger(pool: pool, creditGroup: group)
            // Thread 0 counts the server's connections to this database as it goes, on a connection of its own.
            let monitor = thread == 0 ? try? Connection(options: configuration.connectionOptions) : nil
            defer { monitor?.close() }
            for index in 0..<perThread {
                // As a worker answers a request: a read (borrowing a pool connection), the credit, give back.
                let name = "\(thread)-\(index)"
                _ = try? ledger.entry(paymentID: "pi_none")
                let now = applying.add(1, ordering: .sequentiallyConsistent).newValue
                _ = mostApplying.max(now, ordering: .sequentiallyConsistent)
                do {
                    let outcome = try ledger.apply(
                        DatabaseSessionPoolTests.credit(name), claimingCreditsForPush: true)
                    inserted.withLock { $0.formUnion(outcome.insertedRows.map(\.paymentID)) }
                } catch {
                    failures.withLock { $0.append("\(name): \(error)") }
                }
                applying.subtract(1, ordering: .sequentiallyConsistent)
                if ledger.connectionID != nil { heldAfterwards.add(1, ordering: .sequentiallyConsistent) }
                if let open = try? monitor?.queryOne(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?", [.text(databaseName)]
                )?.int(0) {
                    _ = mostOpen.max(open, ordering: .sequentiallyConsistent)
                }
                ledger.returnConnection()
            }
        }
        #expect(failures.withLock { $0 } == [])
        let expected = Set((0..<threads).flatMap { thread in (0..<perThread).map { "pi_\(thread)-\($0)" } })
        #expect(inserted.withLock { $0 } == expected)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == threads * perThread)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == threads * perThread)
        // More credits at once than connections: each gave its connection back before its credit was confirmed.
        // Holding it would cap the credits in flight at the connections.
        #expect(mostApplying.load(ordering: .sequentiallyConsistent) > connections)
        // No credit left its worker holding a connection: the confirmation ran on the group's, and no worker borrowed
        // one back to collect its answer.
        #expect(heldAfterwards.load(ordering: .sequentiallyConsistent) == 0)
        // The pool's, the group's two, and the test's admin and monitor connections (their DB is this one too).
        let most = mostOpen.load(ordering: .sequentiallyConsistent)
        #expect(most > 2 && most <= connections + CreditConfirmationGroup.inFlightLimit + 2, "\(most) open")
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

import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

/// The responder's connections lent request by request (`DatabaseSessionPool`): a pooled ledger works only on a lent
/// connection, and credits that wait for their batch give theirs back, so more requests are in flight than there are
/// connections.
@Suite struct DatabaseSessionPoolTests {
    @Test func aPooledLedgerWorksOnlyOnALentConnection() throws {
        let database = try TestDatabase()
        let pool = DatabaseSessionPool(configuration: database.configuration, count: 1)
        defer { pool.closeAll() }
        let ledger = MariaDBLedger(pool: pool, configuration: database.configuration)

        // Nothing lent: a call fails as the database being unavailable would, and opens no connection of its own.
        let error = try #require(throws: LedgerError.self) { try ledger.entry(paymentID: "anything") }
        #expect(error.kind == .unavailable)
        #expect(ledger.connectionID == nil)

        ledger.leaseConnection()
        _ = try database.credit(ledger, "while-lent")
        let lent = try #require(ledger.connectionID)
        ledger.returnConnection()
        #expect(throws: LedgerError.self) { try ledger.entry(paymentID: "while-lent") }

        // The one connection goes to whoever borrows next, still open.
        let other = MariaDBLedger(pool: pool, configuration: database.configuration)
        other.leaseConnection()
        #expect(other.connectionID == lent)
        #expect(try other.entry(paymentID: "while-lent") != nil)
        other.close()
        #expect(other.connectionID == nil)
    }

    @Test func moreCreditsAreInFlightThanConnectionsAndEachIsConfirmedOnce() throws {
        let database = try TestDatabase()
        let connections = 3
        let threads = 12
        let perThread = 20
        let pool = DatabaseSessionPool(configuration: database.configuration, count: connections)
        defer { pool.closeAll() }
        let group = CreditConfirmationGroup()
        let failures = Mutex<[String]>([])
        let inserted = Mutex<Set<String>>([])
        let connectionIDs = Mutex<Set<Int64>>([])
        let applying = Atomic<Int>(0)
        let mostApplying = Atomic<Int>(0)
        let configuration = database.configuration
        TestDatabase.onThreads(threads) { thread in
            let ledger = MariaDBLedger(pool: pool, configuration: configuration, creditGroup: group)
            for index in 0..<perThread {
                // As a worker answers a request: borrow, confirm, give back.
                ledger.leaseConnection()
                let name = "\(thread)-\(index)"
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
                if let id = ledger.connectionID { connectionIDs.withLock { _ = $0.insert(id) } }
                ledger.returnConnection()
            }
        }
        #expect(failures.withLock { $0 } == [])
        let expected = Set((0..<threads).flatMap { thread in (0..<perThread).map { "pi_\(thread)-\($0)" } })
        #expect(inserted.withLock { $0 } == expected)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == threads * perThread)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == threads * perThread)
        // Never more connections than the pool's, yet more credits at once than connections: waiting ones gave
        // theirs back. Holding it while waiting would cap the credits in flight at the connections.
        #expect(connectionIDs.withLock { $0.count } <= connections)
        #expect(mostApplying.load(ordering: .sequentiallyConsistent) > connections)
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

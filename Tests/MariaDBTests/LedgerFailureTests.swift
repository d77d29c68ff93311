import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

/// The ledger's answers to the database failures DESIGN §1.3 and §12 name: a deadlock (1213) rolls back and reruns the
/// whole transaction, which then applies once; a COMMIT whose connection is killed is an unknown outcome, never
/// replayed, and the caller's retry through the unique keys books once.
///
/// Serialized: the lost COMMIT holds every COMMIT on the server back for a moment.
@Suite(.serialized) struct LedgerFailureTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    /// A refund of `pi_fail` delivered as event `eventID`.
    static func refund(_ eventID: String, paymentID: String, cents: Int64) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: eventID, eventType: "refund.created", payload: Array("{}".utf8),
                headers: [], outcome: "booked"),
            entries: [
                LedgerEntry(
                    paymentID: paymentID, uid: "u1", gateway: "stripe", amount: Money(cents: -cents),
                    refundOf: "pi_fail")
            ])
    }

    /// Runs `apply` on a thread of its own with a fresh ledger; `connection` receives the ledger's connection id
    /// before it starts, and the result arrives on `done`.
    static func applyInBackground(
        _ configuration: DatabaseConfiguration, _ effect: LedgerEffect, connection: ResultBox<Int64>,
        result: ResultBox<Result<LedgerOutcome, LedgerError>>, done: DispatchSemaphore
    ) {
        Thread {
            MariaDBLibrary.threadInit()
            defer {
                MariaDBLibrary.threadEnd()
                done.signal()
            }
            let ledger = MariaDBLedger(configuration: configuration)
            defer { ledger.close() }
            do {
                try ledger.ping()
                connection.set(ledger.connectionID ?? -1)
                result.set(.success(try ledger.apply(effect)))
            } catch let error as LedgerError {
                result.set(.failure(error))
            } catch {
                result.set(.failure(LedgerError(.failed, "\(error)")))
            }
        }.start()
    }

    /// Polls `condition` every 10 ms for up to 30 s (a loaded two-core machine can take seconds to schedule a thread).
    static func waitUntil(_ what: String, details: () -> String = { "" }, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while try !condition() {
            try #require(Date() < deadline, "still not: \(what) \(details())")
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Whether a transaction of this test's database waits for a row lock: the ledger's, whichever connection it
    /// uses by then (it reconnects after a lost connection).
    func ledgerWaitsForLock() throws -> Bool {
        try database.count(
            """
            SELECT COUNT(*) FROM information_schema.INNODB_TRX t \
            JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
            WHERE p.DB = ? AND t.trx_state = 'LOCK WAIT'
            """, [.text(database.name)]) == 1
    }

    /// What the connections of this test's database are doing, for a failure message.
    func connectionStates() -> String {
        let row = try? database.admin.queryOne(
            """
            SELECT GROUP_CONCAT(CONCAT_WS(' ', ID, COMMAND, STATE, LEFT(INFO, 80)) SEPARATOR ' | ') \
            FROM information_schema.PROCESSLIST WHERE DB = ?
            """, [.text(database.name)])
        return "(connections: \((try? row?.string(0)) ?? "none"))"
    }

    func deadlocks() throws -> Int64 {
        try #require(try database.admin.queryOne("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")).int64(1)
    }

    @Test("a deadlock (1213) rolls the ledger's transaction back and reruns it: the refund and its event apply once")
    func deadlockIsRetried() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_fail", cents: 1000)
        let deadlocksBefore = try deadlocks()

        // The other transaction is the heavier one (many rows written), so InnoDB picks the ledger as the victim.
        let other = try Connection(options: database.configuration.connectionOptions)
        defer { other.close() }
        try other.begin()
        for index in 0..<50 {
            try other.execute(
                "INSERT INTO operator_items (gateway, reference, reason, payload, created_at) "
                    + "VALUES ('itest', ?, 'weight', '', UTC_TIMESTAMP(6))", [.text("weight-\(index)")])
        }
        _ = try other.query("SELECT id FROM tn_payments WHERE payment_id = 'pi_fail' FOR UPDATE")

        // The ledger inserts its event row, then waits for the payment row the other transaction holds …
        let connection = ResultBox<Int64>()
        let result = ResultBox<Result<LedgerOutcome, LedgerError>>()
        let done = DispatchSemaphore(value: 0)
        // Its lock waits must outlast this test's steps on a loaded machine: a lock-wait timeout (1205) is retried
        // like a deadlock and would use up the reruns before the cycle is even made.
        var patient = database.configuration
        patient.lockWaitTimeoutSeconds = 60
        Self.applyInBackground(
            patient, Self.refund("evt_deadlock", paymentID: "re_deadlock", cents: 300),
            connection: connection, result: result, done: done)
        try Self.waitUntil("the ledger has a connection") { connection.value != nil }
        let ledgerDetails = { "\(self.connectionStates()), ledger result: \(String(describing: result.value))" }
        try Self.waitUntil("the ledger waits for the payment row", details: ledgerDetails) {
            try ledgerWaitsForLock()
        }

        // … and the other transaction now wants the ledger's event row: a cycle. The ledger is rolled back, so this
        // insert goes through; its retry then waits for this transaction, which gives everything up.
        try other.execute(
            "INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, "
                + "outcome) VALUES ('stripe', 'evt_deadlock', 'x', '', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'x')")
        #expect(try deadlocks() > deadlocksBefore, "InnoDB reported no deadlock")
        try Self.waitUntil("the ledger's retry waits for the other transaction", details: ledgerDetails) {
            try ledgerWaitsForLock()
        }
        try other.rollback()

        #expect(done.wait(timeout: .now() + 30) == .success)
        let outcome = try #require(try result.value?.get())
        #expect(!outcome.duplicateEvent)
        #expect(outcome.insertedRows.count == 1)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id = 're_deadlock'") == 1)
        #expect(try database.count("SELECT amount FROM tn_payments WHERE payment_id = 're_deadlock'") == -300)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_deadlock'") == 1)
        #expect(try database.count("SELECT COUNT(*) FROM operator_items") == 0)
    }

    @Test(
        "a COMMIT whose connection is killed is unknownOutcome, nothing stored; the retry books once, a replay is a duplicate"
    )
    func lostCommit() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_fail", cents: 1000)
        let effect = Self.refund("evt_lostcommit", paymentID: "re_lostcommit", cents: 400)

        // A backup lock holds every COMMIT on the server back while statements run on: the ledger's transaction
        // does its work and then waits in COMMIT, where its connection is killed.
        let backup = try Connection(options: database.configuration.connectionOptions)
        defer { backup.close() }
        try backup.executeText("BACKUP STAGE START")
        try backup.executeText("BACKUP STAGE BLOCK_COMMIT")
        var stageEnded = false
        defer { if !stageEnded { try? backup.executeText("BACKUP STAGE END") } }

        let connection = ResultBox<Int64>()
        let result = ResultBox<Result<LedgerOutcome, LedgerError>>()
        let done = DispatchSemaphore(value: 0)
        Self.applyInBackground(database.configuration, effect, connection: connection, result: result, done: done)
        try Self.waitUntil("the ledger has a connection") { connection.value != nil }
        let ledgerConnection = try #require(connection.value)
        try Self.waitUntil("the ledger waits in COMMIT") {
            try database.count(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO = 'COMMIT' "
                    + "AND STATE LIKE 'Waiting for backup lock%'", [.int(ledgerConnection)]) == 1
        }
        try database.admin.executeText("KILL CONNECTION \(ledgerConnection)")
        #expect(done.wait(timeout: .now() + 30) == .success)
        // The client learns of the kill before the server thread has given up its COMMIT; lifting the lock before
        // that thread is gone could still let the COMMIT through (the outcome really is unknown). Here it may not.
        try Self.waitUntil("the killed connection is gone") {
            try database.count(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", [.int(ledgerConnection)]) == 0
        }
        try backup.executeText("BACKUP STAGE END")
        stageEnded = true

        guard case .failure(let error) = try #require(result.value) else {
            Issue.record("the killed COMMIT answered \(String(describing: result.value))")
            return
        }
        #expect(error.kind == .unknownOutcome, "\(error)")
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id = 're_lostcommit'") == 0)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_lostcommit'") == 0)

        // The gateway's retry goes through the same unique keys: booked once, and a replay changes nothing.
        let retried = try ledger.apply(effect)
        #expect(!retried.duplicateEvent && retried.insertedRows.count == 1)
        let replayed = try ledger.apply(effect)
        #expect(replayed.duplicateEvent && replayed.insertedRows.isEmpty)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id = 're_lostcommit'") == 1)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_lostcommit'") == 1)
        #expect(try database.count("SELECT CAST(SUM(amount) AS SIGNED) FROM tn_payments") == 600)
    }
}

/// One value set by another thread.
final class ResultBox<Value: Sendable>: Sendable {
    private let storage = Mutex<Value?>(nil)
    var value: Value? { storage.withLock { $0 } }
    func set(_ value: Value) { storage.withLock { $0 = value } }
}

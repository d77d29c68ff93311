import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct LedgerSessionTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    @Test func createSessionThenAttachExternalID() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "User-A", amount: Money(cents: 1999), currency: "USD")
        #expect(session.status == .creating)
        #expect(session.externalID == nil)
        #expect(session.amount == Money(cents: 1999))
        let uuid = session.publicID
        #expect(uuid.count == 36)
        #expect(Array(uuid)[14] == "4")
        #expect("89ab".contains(Array(uuid)[19]))
        #expect(uuid == uuid.lowercased())

        let other = try ledger.createSession(
            gateway: "stripe", uid: "User-A", amount: Money(cents: 1999), currency: "USD")
        #expect(other.publicID != session.publicID)
        #expect(other.id != session.id)

        let stored = try #require(try ledger.session(publicID: session.publicID))
        #expect(stored == session)
        // created_at + RECONCILE_AFTER_SECONDS, expires_at unset.
        let timing = try #require(
            try database.admin.queryOne(
                """
                SELECT TIMESTAMPDIFF(SECOND, created_at, next_reconcile_at), expires_at FROM payment_sessions \
                WHERE id = ?
                """,
                [.int(session.id)]))
        #expect(try timing.int(0) == 900)
        #expect(timing.isNull(1))

        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_123", status: .pending)
        let attached = try #require(try ledger.session(gateway: "stripe", externalID: "pi_123"))
        #expect(attached.id == session.id)
        #expect(attached.status == .pending)
        #expect(try ledger.session(gateway: "stripe", externalID: "PI_123") == nil)
        #expect(try ledger.session(gateway: "paypal", externalID: "pi_123") == nil)

        // The same id again is a no-op; another id is refused.
        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_123", status: .pending)
        let conflict = try #require(throws: LedgerError.self) {
            try ledger.attachExternalID(sessionID: session.id, externalID: "pi_999", status: .pending)
        }
        #expect(conflict.kind == .integrity)
        // Another session cannot take the same gateway id.
        let taken = try #require(throws: LedgerError.self) {
            try ledger.attachExternalID(sessionID: other.id, externalID: "pi_123", status: .pending)
        }
        #expect(taken.kind == .integrity)

        try ledger.updateSessionStatus(sessionID: session.id, status: .failed)
        #expect(try ledger.session(publicID: session.publicID)?.status == .failed)
        #expect(try ledger.session(publicID: "00000000-0000-4000-8000-000000000000") == nil)
    }

    @Test func reconcileAfterSecondsIsConfigurable() throws {
        let ledger = MariaDBLedger(configuration: database.configuration, reconcileAfterSeconds: 60)
        let session = try ledger.createSession(gateway: "paypal", uid: "u", amount: Money(cents: 500), currency: "USD")
        let row = try #require(
            try database.admin.queryOne(
                "SELECT TIMESTAMPDIFF(SECOND, created_at, next_reconcile_at) FROM payment_sessions WHERE id = ?",
                [.int(session.id)]))
        #expect(try row.int(0) == 60)
    }

    @Test func transactionsArePagedNewestFirst() throws {
        let ledger = database.ledger()
        for index in 1...5 { try database.credit(ledger, "pay-\(index)", uid: "pager", cents: Int64(index) * 100) }
        try database.credit(ledger, "someone-else", uid: "Pager")
        let first = try ledger.transactions(uid: "pager", offset: 0, limit: 2)
        #expect(first.total == 5)
        #expect(first.rows.map(\.paymentID) == ["pay-5", "pay-4"])
        let last = try ledger.transactions(uid: "pager", offset: 4, limit: 2)
        #expect(last.rows.map(\.paymentID) == ["pay-1"])
        #expect(last.rows.first?.amount == Money(cents: 100))
        #expect(last.rows.first?.isSynced == false)
        #expect(try ledger.transactions(uid: "nobody", offset: 0, limit: 10).total == 0)
    }

    @Test func reconnectsAfterTheConnectionIsKilled() throws {
        let ledger = database.ledger()
        try ledger.ping()
        let id = try #require(ledger.connectionID)
        try database.admin.executeText("KILL \(id)")

        let error = try #require(throws: LedgerError.self) { try ledger.entry(paymentID: "anything") }
        #expect(error.kind == .unavailable)
        #expect(ledger.connectionID == nil)
        #expect(try ledger.entry(paymentID: "anything") == nil)
        #expect(ledger.connectionID != id)
        try database.credit(ledger, "after-reconnect")
    }

    @Test func unreachableDatabaseIsUnavailable() throws {
        var configuration = database.configuration
        configuration.endpoint = .socket(TestDatabase.repository + "/.run/no-such-dir/mysqld.sock")
        let ledger = MariaDBLedger(configuration: configuration)
        let error = try #require(throws: LedgerError.self) { try ledger.ping() }
        #expect(error.kind == .unavailable)
    }
}

import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct LedgerSessionTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    /// A new session is due for reconciliation `RECONCILE_AFTER_SECONDS` (900) after creation and never expires by
    /// itself; the session rules themselves are in the shared contract (LedgerContractTests).
    @Test func aNewSessionIsDueForReconciliationLater() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "User-A", amount: Money(cents: 1999), currency: "USD")
        let timing = try #require(
            try database.admin.queryOne(
                """
                SELECT TIMESTAMPDIFF(SECOND, created_at, next_reconcile_at), expires_at FROM payment_sessions \
                WHERE id = ?
                """,
                [.int(session.id)]))
        #expect(try timing.int(0) == 900)
        #expect(timing.isNull(1))
    }

    /// `public_id` is an ASCII column; a client's non-ASCII text names no session instead of failing the comparison
    /// (MariaDB error 1267, found by schemathesis through `app-createEventsTicket`).
    @Test func nonASCIIPublicIDNamesNoSession() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")
        #expect(try ledger.session(publicID: "ü\(session.publicID.dropFirst())") == nil)
        #expect(try ledger.session(publicID: "\u{0}") == nil)
        #expect(try ledger.session(publicID: session.publicID)?.id == session.id)
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

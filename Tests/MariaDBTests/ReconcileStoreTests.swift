import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct ReconcileStoreTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    @Test func claimsDueOpenSessionsOnceAndBacksOff() throws {
        let ledger = database.ledger()
        let creating = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")
        let pending = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")
        try ledger.attachExternalID(sessionID: pending.id, externalID: "pi_r", status: .pending)
        let paid = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")
        try ledger.updateSessionStatus(sessionID: paid.id, status: .paid)
        let notYet = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")

        let store = ReconcileStore(configuration: database.configuration)
        #expect(try store.claimDueSessions(limit: 10).isEmpty)
        try database.admin.execute(
            "UPDATE payment_sessions SET next_reconcile_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id <> ?",
            [.int(notYet.id)])

        let claimed = try store.claimDueSessions(limit: 10)
        #expect(Set(claimed.map(\.id)) == [creating.id, pending.id])
        #expect(claimed.first { $0.id == pending.id }?.externalID == "pi_r")
        #expect(try ReconcileStore(configuration: database.configuration).claimDueSessions(limit: 10).isEmpty)

        try store.reschedule(sessionID: creating.id)
        try store.release(sessionID: pending.id)
        #expect(try store.claimDueSessions(limit: 10).map(\.id) == [pending.id])

        let row = try #require(
            try database.admin.queryOne(
                """
                SELECT reconcile_attempts, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_reconcile_at), \
                reconcile_claimed_until IS NULL FROM payment_sessions WHERE id = ?
                """, [.int(creating.id)]))
        #expect(try row.int(0) == 1)
        #expect((58...60).contains(try row.int(1)))
        #expect(try row.bool(2))
        #expect(try ledger.session(publicID: creating.publicID)?.reconcileAttempts == 1)

        try database.admin.execute(
            "UPDATE payment_sessions SET reconcile_attempts = 10, next_reconcile_at = UTC_TIMESTAMP(6) WHERE id = ?",
            [.int(creating.id)])
        #expect(try store.claimDueSessions(limit: 1).map(\.id) == [creating.id])
        try store.reschedule(sessionID: creating.id)
        let capped = try #require(
            try database.admin.queryOne(
                "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_reconcile_at) FROM payment_sessions WHERE id = ?",
                [.int(creating.id)]))
        #expect((3598...3600).contains(try capped.int(0)))
    }
}

extension ReconcileStoreTests {
    @Test func dryRunListingDoesNotClaim() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(gateway: "paypal", uid: "u", amount: Money(cents: 800), currency: "USD")
        try database.admin.execute("UPDATE payment_sessions SET next_reconcile_at = UTC_TIMESTAMP(6)")
        let store = ReconcileStore(configuration: database.configuration)
        #expect(try store.listDueSessions(limit: 10).map(\.id) == [session.id])
        #expect(try store.listDueSessions(limit: 10).map(\.id) == [session.id])
        #expect(try store.claimDueSessions(limit: 10).map(\.id) == [session.id])
        #expect(try store.listDueSessions(limit: 10).isEmpty)
    }
}

import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct SyncStoreTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    private func state(_ id: Int64) throws -> Row {
        try #require(
            try database.admin.queryOne(
                """
                SELECT sync_state, sync_attempts, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_sync_at), \
                sync_claimed_until IS NOT NULL, last_sync_error, is_synced, synced_at IS NOT NULL \
                FROM tn_payments WHERE id = ?
                """, [.int(id)]))
    }

    @Test func claimRetryWithBackoffThenSynced() throws {
        let ledger = database.ledger()
        let id = try database.credit(ledger, "pi_s", uid: "Uid-1", cents: 1234)
        let store = SyncStore(configuration: database.configuration)

        let row = try #require(try store.claim(rowID: id))
        #expect(
            row
                == SyncRow(
                    id: id, paymentID: "pi_s", uid: "Uid-1", gateway: "stripe", amount: Money(cents: 1234), attempts: 0)
        )
        #expect(try state(id).bool(3))
        // A claimed row cannot be claimed again until released or expired.
        #expect(try SyncStore(configuration: database.configuration).claim(rowID: id) == nil)

        try store.markRetry(id: id, error: String(repeating: "e", count: 2000), retryAfterSeconds: nil)
        var current = try state(id)
        #expect(try current.string(0) == "pending")
        #expect(try current.int(1) == 1)
        #expect((28...30).contains(try current.int(2)))
        #expect(try !current.bool(3))
        #expect(try current.string(4).count == 1024)

        _ = try #require(try store.claim(rowID: id))
        try store.markRetry(id: id, error: "503", retryAfterSeconds: nil)
        #expect((58...60).contains(try state(id).int(2)))
        _ = try #require(try store.claim(rowID: id))
        try store.markRetry(id: id, error: "429", retryAfterSeconds: 7)
        current = try state(id)
        #expect((5...7).contains(try current.int(2)))
        #expect(try current.int(1) == 3)

        try database.admin.execute("UPDATE tn_payments SET sync_attempts = 12 WHERE id = ?", [.int(id)])
        _ = try #require(try store.claim(rowID: id))
        try store.markRetry(id: id, error: "timeout", retryAfterSeconds: nil)
        #expect((3598...3600).contains(try state(id).int(2)))

        let again = try #require(try store.claim(rowID: id))
        #expect(again.attempts == 13)
        try store.markSynced(id: id)
        current = try state(id)
        #expect(try current.string(0) == "synced")
        #expect(try current.bool(5) && current.bool(6) && !current.bool(3))
        #expect(current.isNull(4))
        #expect(try store.claim(rowID: id) == nil)
        #expect(try store.stats().unsynced == 0)
    }

    @Test func refundIsNotClaimableBeforeItsPaymentIsSynced() throws {
        let ledger = database.ledger()
        let paymentID = try database.credit(ledger, "pi_p", cents: 1000)
        let refund = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(
                    paymentID: "re_p", uid: "u1", gateway: "stripe", amount: Money(cents: -100), refundOf: "pi_p")
            ]))
        let refundID = try #require(refund.insertedRowIDs.first)
        let store = SyncStore(configuration: database.configuration)

        #expect(try store.claim(rowID: refundID) == nil)
        try database.makeAllDue()
        let due = try store.claimDue(limit: 10)
        #expect(due.map(\.id) == [paymentID])
        try store.markSynced(id: paymentID)
        // claimDue moved the waiting refund 30 s on; the immediate path can claim it now.
        #expect(try store.claimDue(limit: 10).isEmpty)
        let claimed = try #require(try store.claim(rowID: refundID))
        #expect(claimed.amount == Money(cents: -100))
    }

    @Test func claimDueSkipsRowsClaimedOrLockedByOthers() throws {
        let ledger = database.ledger()
        let ids = try (1...4).map { try database.credit(ledger, "pi_\($0)") }
        try database.makeAllDue()
        let first = SyncStore(configuration: database.configuration)
        let second = SyncStore(configuration: database.configuration)

        #expect(try first.claimDue(limit: 1).map(\.id) == [ids[0]])
        #expect(try second.listDue(limit: 10).map(\.id) == Array(ids[1...]))
        #expect(try second.dueCount() == 3)

        // A row locked by an open transaction elsewhere is skipped, not waited for.
        let other = try Connection(options: database.configuration.connectionOptions)
        try other.begin()
        _ = try other.query("SELECT id FROM tn_payments WHERE id = ? FOR UPDATE", [.int(ids[1])])
        #expect(try second.claimDue(limit: 10).map(\.id) == [ids[2], ids[3]])
        try other.rollback()
        #expect(try first.claimDue(limit: 10).map(\.id) == [ids[1]])
        #expect(try second.claimDue(limit: 10).isEmpty)

        // A released claim is due again; an expired claim too.
        try first.release(id: ids[0])
        try database.admin.execute(
            "UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?",
            [.int(ids[3])])
        #expect(try second.claimDue(limit: 10).map(\.id) == [ids[0], ids[3]])
    }

    @Test func failedRowsAreReportedAndRequeued() throws {
        let ledger = database.ledger()
        let id = try database.credit(ledger, "pi_f")
        try database.credit(ledger, "pi_ok")
        let store = SyncStore(configuration: database.configuration)
        _ = try #require(try store.claim(rowID: id))
        try store.markFailed(id: id, error: "HTTP 422 InvalidAmount")

        #expect(try store.claim(rowID: id) == nil)
        let report = try store.report()
        #expect(report.failedRows.map(\.paymentID) == ["pi_f"])
        #expect(report.failedRows.first?.lastError == "HTTP 422 InvalidAmount")
        #expect(report.openOperatorItems.map(\.reason) == ["sync-failed"])
        #expect(report.openOperatorItems.first?.reference == "pi_f")
        #expect(report.unsyncedCount == 2)
        #expect(report.oldestUnsyncedSeconds >= 0)
        #expect(try store.stats().unsynced == 2)

        #expect(try store.requeue(paymentID: "pi_f"))
        #expect(try !store.requeue(paymentID: "no-such"))
        #expect(try store.listDue(limit: 10).map(\.id) == [id])
        _ = try #require(try store.claim(rowID: id))
        try store.markFailed(id: id, error: "again")
        #expect(try store.requeueAllFailed() == 1)
        #expect(try store.requeueAllFailed() == 0)
    }

    @Test func oldWebhookPayloadsArePurgedButEventsStay() throws {
        let ledger = database.ledger()
        for index in 1...3 {
            _ = try ledger.apply(
                LedgerEffect(
                    event: WebhookEventRecord(
                        gateway: "stripe", eventID: "evt_\(index)", eventType: "t", payload: Array("body".utf8),
                        headers: [], outcome: "ok")))
        }
        try database.admin.execute(
            "UPDATE webhook_events SET received_at = UTC_TIMESTAMP(6) - INTERVAL 401 DAY WHERE event_id <> 'evt_3'")
        let store = SyncStore(configuration: database.configuration)
        #expect(try store.purgeWebhookPayloads(olderThanDays: 400) == 2)
        #expect(try store.purgeWebhookPayloads(olderThanDays: 400) == 0)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE payload IS NULL") == 2)
        #expect(try ledger.eventExists(gateway: "stripe", eventID: "evt_1"))
    }
}

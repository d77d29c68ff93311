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

    private func token(_ id: Int64) throws -> Int64? {
        try database.admin.queryOne("SELECT sync_claim_token FROM tn_payments WHERE id = ?", [.int(id)])?
            .optionalInt64(0)
    }

    /// Ends a claim's lease as if its time had run out.
    private func expireClaim(_ id: Int64) throws {
        try database.admin.execute(
            "UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?", [.int(id)])
    }

    @Test func claimRetryWithBackoffThenSynced() throws {
        let ledger = database.ledger()
        let id = try database.credit(ledger, "pi_s", uid: "Uid-1", cents: 1234)
        let store = SyncStore(configuration: database.configuration)

        let row = try #require(try store.claim(rowID: id))
        let claim = try #require(row.claim)
        #expect(
            row
                == SyncRow(
                    id: id, paymentID: "pi_s", uid: "Uid-1", gateway: "stripe", amount: Money(cents: 1234), attempts: 0,
                    claim: claim))
        #expect(try state(id).bool(3))
        #expect(try token(id) == claim.token)
        #expect(claim.isLive(margin: .seconds(50)) && !claim.isLive(margin: .seconds(61)))
        // A claimed row cannot be claimed again until released or expired.
        #expect(try SyncStore(configuration: database.configuration).claim(rowID: id) == nil)

        #expect(try store.markRetry(row, error: String(repeating: "e", count: 2000), retryAfterSeconds: nil))
        var current = try state(id)
        #expect(try current.string(0) == "pending")
        #expect(try current.int(1) == 1)
        #expect((28...30).contains(try current.int(2)))
        #expect(try !current.bool(3))
        #expect(try current.string(4).count == 1024)
        #expect(try token(id) == nil)

        try store.markRetry(try #require(try store.claim(rowID: id)), error: "503", retryAfterSeconds: nil)
        #expect((58...60).contains(try state(id).int(2)))
        try store.markRetry(try #require(try store.claim(rowID: id)), error: "429", retryAfterSeconds: 7)
        current = try state(id)
        #expect((5...7).contains(try current.int(2)))
        #expect(try current.int(1) == 3)

        try database.admin.execute("UPDATE tn_payments SET sync_attempts = 12 WHERE id = ?", [.int(id)])
        try store.markRetry(try #require(try store.claim(rowID: id)), error: "timeout", retryAfterSeconds: nil)
        #expect((3598...3600).contains(try state(id).int(2)))

        let again = try #require(try store.claim(rowID: id))
        #expect(again.attempts == 13)
        #expect(again.claim?.token != claim.token)
        #expect(try store.markSynced(again))
        current = try state(id)
        #expect(try current.string(0) == "synced")
        #expect(try current.bool(5) && current.bool(6) && !current.bool(3))
        #expect(current.isNull(4))
        #expect(try token(id) == nil)
        #expect(try store.claim(rowID: id) == nil)
        #expect(try store.stats().unsynced == 0)
    }

    @Test func aCreditWrittenClaimedIsRecordedUnderItsClaimOrReleased() throws {
        let ledger = database.ledger()
        let store = SyncStore(configuration: database.configuration)
        let written = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(paymentID: "pi_fast", uid: "u1", gateway: "stripe", amount: Money(cents: 900)),
                LedgerEntry(paymentID: "pi_kept", uid: "u1", gateway: "stripe", amount: Money(cents: 300)),
            ]), claimingCreditsForPush: true
        ).insertedRows.map(SyncRow.init)
        #expect(written.count == 2 && written.allSatisfy { $0.claim != nil && $0.attempts == 0 })
        let fast = try #require(written.first)
        let kept = try #require(written.last)
        // Written claimed: no other pusher can take them, and the writer's claim records the outcome.
        #expect(try store.claim(rowID: fast.id) == nil && store.claim(rowID: kept.id) == nil)
        #expect(try token(fast.id) == fast.claim?.token)
        #expect(try store.markSynced(fast))
        #expect(try state(fast.id).string(0) == "synced")
        // A claimed row the push queue turns away is released at once and claimable again.
        try ledger.releasePushClaims([kept])
        #expect(try token(kept.id) == nil && !state(kept.id).bool(3))
        #expect(try store.claim(rowID: kept.id)?.id == kept.id)
        // Releasing again changes nothing: the row now carries the new claim.
        try ledger.releasePushClaims([kept])
        #expect(try state(kept.id).bool(3))
    }

    @Test func refundIsNotClaimableBeforeItsPaymentIsSynced() throws {
        let ledger = database.ledger()
        let paymentID = try database.credit(ledger, "pi_p", cents: 1000)
        let refund = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(
                    paymentID: "re_p", uid: "u1", gateway: "stripe", amount: Money(cents: -100), refundOf: "pi_p")
            ]))
        let refundID = try #require(refund.insertedRows.first?.id)
        let store = SyncStore(configuration: database.configuration)

        #expect(try store.claim(rowID: refundID) == nil)
        try database.makeAllDue()
        #expect(try store.dueCount() == 1)
        let due = try store.claimDue(limit: 10)
        #expect(due.map(\.id) == [paymentID])
        #expect(try store.claimDue(limit: 10).isEmpty)
        #expect(try store.markSynced(try #require(due.first)))
        // The waiting refund stayed due: the next claim takes it.
        let claimed = try #require(try store.claimDue(limit: 10).first)
        #expect(claimed.id == refundID)
        #expect(claimed.amount == Money(cents: -100))
    }

    @Test func staleClaimCannotOverwriteTheOutcomeOfTheNextClaim() throws {
        let id = try database.credit(database.ledger(), "pi_stale")
        let stale = SyncStore(configuration: database.configuration)
        let fresh = SyncStore(configuration: database.configuration)
        let staleRow = try #require(try stale.claim(rowID: id))
        try expireClaim(id)
        let freshRow = try #require(try fresh.claim(rowID: id))
        #expect(try token(id) == freshRow.claim?.token)
        // While the new pusher holds the row, the stale one can neither record nor release.
        #expect(try !stale.release(staleRow))
        #expect(try !stale.markRetry(staleRow, error: "HTTP 503", retryAfterSeconds: nil))
        #expect(try token(id) == freshRow.claim?.token)
        #expect(try fresh.markSynced(freshRow))

        #expect(try !stale.markFailed(staleRow, error: "HTTP 422 ValidationException"))
        #expect(try !stale.markRetry(staleRow, error: "HTTP 503", retryAfterSeconds: nil))
        #expect(try !stale.markSynced(staleRow))
        #expect(try stale.markSynced([staleRow]) == 0)
        let current = try state(id)
        #expect(try current.string(0) == "synced")
        #expect(try current.int(1) == 0)
        #expect(current.isNull(4))
        #expect(try database.count("SELECT COUNT(*) FROM operator_items") == 0)
    }

    @Test func lapsedClaimNobodyTookStillRecordsAndBatchesRecordOnlyTheirOwnClaims() throws {
        let ledger = database.ledger()
        let ids = try (1...3).map { try database.credit(ledger, "pi_batch_\($0)") }
        try database.makeAllDue()
        let store = SyncStore(configuration: database.configuration)
        let rows = try store.claimDue(limit: 3)
        #expect(rows.map(\.id) == ids)
        #expect(Set(rows.compactMap(\.claim?.token)).count == 1)
        // The first lease lapsed without anyone taking it: its outcome still counts. The second was taken over.
        try expireClaim(ids[0])
        try expireClaim(ids[1])
        let taken = try #require(try SyncStore(configuration: database.configuration).claim(rowID: ids[1]))
        #expect(try store.markSynced(rows) == 2)
        #expect(try state(ids[0]).string(0) == "synced")
        #expect(try state(ids[1]).string(0) == "pending")
        #expect(try state(ids[2]).string(0) == "synced")
        #expect(try token(ids[1]) == taken.claim?.token)
        // A row listed without a claim can record nothing.
        var unclaimed = taken
        unclaimed.claim = nil
        #expect(try !store.markSynced(unclaimed))
        #expect(try !store.release(unclaimed))
    }

    @Test func claimDueSkipsRowsClaimedOrLockedByOthers() throws {
        let ledger = database.ledger()
        let ids = try (1...4).map { try database.credit(ledger, "pi_\($0)") }
        try database.makeAllDue()
        let first = SyncStore(configuration: database.configuration)
        let second = SyncStore(configuration: database.configuration)

        let claimedFirst = try first.claimDue(limit: 1)
        #expect(claimedFirst.map(\.id) == [ids[0]])
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
        #expect(try first.release(try #require(claimedFirst.first)))
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
        #expect(try store.markFailed(try #require(try store.claim(rowID: id)), error: "HTTP 422 InvalidAmount"))

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
        try store.markFailed(try #require(try store.claim(rowID: id)), error: "again")
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

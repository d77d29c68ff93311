import MariaDB
import PaymentsCore

extension SyncStore {
    /// Makes one row due now again (`payments-sync requeue <payment_id>`); synced rows are left alone. Pending rows
    /// that wait for it (its refunds, a compensation of it) are made due now too, so they can follow it at once.
    /// - Returns: whether a row was requeued.
    public func requeue(paymentID: String) throws(LedgerError) -> Bool {
        try database.transaction { connection throws -> TransactionEnd<Bool> in
            let changed = try connection.execute(
                """
                UPDATE tn_payments SET sync_state = 'pending', sync_attempts = 0, next_sync_at = UTC_TIMESTAMP(6), \
                sync_claimed_until = NULL, sync_claim_token = NULL WHERE payment_id = ? AND sync_state <> 'synced'
                """, [.text(paymentID)]
            ).affectedRows
            guard changed > 0,
                let row = try connection.queryOne(
                    "SELECT id FROM tn_payments WHERE payment_id = ?", [.text(paymentID)])
            else { return .commit(changed > 0) }
            try connection.execute(
                """
                UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) WHERE sync_state = 'pending' \
                AND next_sync_at > UTC_TIMESTAMP(6) AND (refund_of = ? OR payment_id IN (?, ?))
                """, [.int(try row.int64(0)), .text(paymentID + "-reversed"), .text(paymentID + "-reinstated")])
            return .commit(true)
        }
    }

    /// Makes every failed row due now again (`payments-sync requeue --all-failed`); rows that failed because a row
    /// they wait for failed follow that row in the next pass.
    /// - Returns: how many rows were requeued.
    public func requeueAllFailed() throws(LedgerError) -> Int {
        try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET sync_state = 'pending', sync_attempts = 0, next_sync_at = UTC_TIMESTAMP(6), \
                sync_claimed_until = NULL, sync_claim_token = NULL WHERE sync_state = 'failed'
                """
            ).affectedRows
        }
    }

    /// Unsynced rows (pending or failed), the failed ones among them and the age of the oldest in seconds, for
    /// metrics.
    public func stats() throws(LedgerError) -> (unsynced: Int, failed: Int, oldestUnsyncedSeconds: Int) {
        try database.run { connection in
            let backlog = try SyncBacklog.read(connection)
            return (backlog.unsynced, backlog.failed, backlog.oldestSeconds)
        }
    }

    /// Rows a pass would push now (due, unclaimed, not waiting for another row), without claiming them
    /// (`--dry-run`).
    public func dueCount() throws(LedgerError) -> Int {
        try database.run { connection in
            try connection.queryOne(
                """
                SELECT COUNT(*) FROM tn_payments c WHERE \(Self.claimable) AND c.next_sync_at <= UTC_TIMESTAMP(6) \
                AND \(SyncDependency.synced)
                """
            )?.int(0) ?? 0
        }
    }

    /// Up to `limit` rows a pass would push now, in push order, without claiming them (`--dry-run`).
    public func listDue(limit: Int) throws(LedgerError) -> [SyncRow] {
        try database.run { connection in
            try connection.query(
                """
                SELECT \(Self.rowColumns) FROM tn_payments c WHERE \(Self.claimable) \
                AND c.next_sync_at <= UTC_TIMESTAMP(6) AND \(SyncDependency.synced) \(Self.pushOrder) LIMIT ?
                """, [SQLValue(max(0, limit))]
            ).map { try Self.syncRow($0) }
        }
    }

    /// Failed rows, open operator items (at most `limit` of each, oldest first) and the backlog.
    public func report(limit: Int = 1000) throws(LedgerError) -> SyncReport {
        try database.run { connection in
            let failed = try connection.query(
                """
                SELECT id, payment_id, uid, gateway, amount, sync_attempts, last_sync_error, created_at \
                FROM tn_payments WHERE sync_state = 'failed' ORDER BY id LIMIT ?
                """, [SQLValue(max(0, limit))]
            ).map { row in
                SyncReport.FailedRow(
                    id: try row.int64(0), paymentID: try row.string(1), uid: try row.string(2),
                    gateway: try row.string(3), amount: Money(cents: try row.int64(4)), attempts: try row.int(5),
                    lastError: try row.optionalString(6), createdAt: try row.unixSeconds(7))
            }
            let items = try connection.query(
                """
                SELECT id, gateway, reference, reason, payload, created_at FROM operator_items \
                WHERE resolved_at IS NULL ORDER BY id LIMIT ?
                """, [SQLValue(max(0, limit))]
            ).map { row in
                SyncReport.OpenItem(
                    id: try row.int64(0), gateway: try row.string(1), reference: try row.string(2),
                    reason: try row.string(3), payload: try row.string(4), createdAt: try row.unixSeconds(5))
            }
            let backlog = try SyncBacklog.read(connection)
            return SyncReport(
                failedRows: failed, openOperatorItems: items, unsyncedCount: backlog.unsynced,
                oldestUnsyncedSeconds: backlog.oldestSeconds)
        }
    }

    /// Drops the stored bodies of deliveries older than `olderThanDays` (`WEBHOOK_RETENTION_DAYS`); the event rows
    /// stay, so the ids still deduplicate. Works in batches of 1000 to keep transactions short.
    /// - Returns: how many payloads were purged.
    public func purgeWebhookPayloads(olderThanDays days: Int) throws(LedgerError) -> Int {
        try database.run { connection in
            var total = 0
            while true {
                let changed = try connection.execute(
                    """
                    UPDATE webhook_events SET payload = NULL \
                    WHERE received_at < UTC_TIMESTAMP(6) - INTERVAL ? DAY AND payload IS NOT NULL LIMIT 1000
                    """, [SQLValue(max(0, days))]
                ).affectedRows
                total += changed
                if changed < 1000 { return total }
            }
        }
    }
}

import Logging
import MariaDB
import PaymentsCore

/// Claims and records pushes of ledger rows to the Retail API (DESIGN §7), for sync threads and `payments-sync`.
///
/// Every push first claims its row in a short transaction (`FOR UPDATE SKIP LOCKED` plus a 60 s lease in
/// `sync_claimed_until`), so two pushers never push the same row at once and a crashed pusher's claim expires.
/// A refund is claimable only once the row it refunds is synced. Errors are `LedgerError` (`.unavailable` when the
/// database is gone; the next call reconnects). Not Sendable: one thread uses an instance at a time.
public final class SyncStore {
    let database: DatabaseSession
    /// How long a claim keeps other pushers away.
    public static let claimSeconds = 60
    /// Longest automatic backoff between pushes of one row.
    public static let maximumBackoffSeconds = 3600

    /// Nothing is opened until the first call; `logger` receives connection drops and deadlock retries.
    public init(configuration: DatabaseConfiguration, logger: Logger? = nil) {
        database = DatabaseSession(options: configuration.connectionOptions, logger: logger)
    }

    /// Closes the connection; a later call reconnects.
    public func close() { database.drop() }

    static let rowColumns = "id, payment_id, uid, gateway, amount, sync_attempts, refund_of"
    static let claimable =
        "sync_state = 'pending' AND (sync_claimed_until IS NULL OR sync_claimed_until < UTC_TIMESTAMP(6))"

    /// Claims one row for an immediate push (the worker's hand-off after the response).
    /// - Returns: the row, or nil when it is synced, failed, claimed by someone else or waits for its payment.
    public func claim(rowID: Int64) throws(LedgerError) -> SyncRow? {
        try database.transaction { connection throws -> TransactionEnd<SyncRow?> in
            guard
                let row = try connection.queryOne(
                    """
                    SELECT \(Self.rowColumns) FROM tn_payments WHERE id = ? AND \(Self.claimable) \
                    FOR UPDATE SKIP LOCKED
                    """,
                    [.int(rowID)])
            else { return .commit(nil) }
            if let refundOf = try row.optionalInt64(6), try !Self.isSynced(refundOf, connection) {
                return .commit(nil)
            }
            try Self.setClaim(rowID, connection)
            return .commit(try Self.syncRow(row))
        }
    }

    /// Claims up to `limit` due rows (`next_sync_at` passed), oldest id first so credits precede their refunds.
    ///
    /// Rows claimed by another pusher are skipped. A refund whose payment is not synced yet is left unclaimed and
    /// moved 30 s later, so it cannot hold the head of the queue.
    public func claimDue(limit: Int) throws(LedgerError) -> [SyncRow] {
        guard limit > 0 else { return [] }
        return try database.transaction { connection throws -> TransactionEnd<[SyncRow]> in
            let rows = try connection.query(
                """
                SELECT \(Self.rowColumns) FROM tn_payments WHERE \(Self.claimable) \
                AND next_sync_at <= UTC_TIMESTAMP(6) ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED
                """, [SQLValue(limit)])
            var claimed: [SyncRow] = []
            for row in rows {
                let id = try row.int64(0)
                if let refundOf = try row.optionalInt64(6), try !Self.isSynced(refundOf, connection) {
                    try connection.execute(
                        "UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) + INTERVAL 30 SECOND WHERE id = ?",
                        [.int(id)])
                    continue
                }
                try Self.setClaim(id, connection)
                claimed.append(try Self.syncRow(row))
            }
            return .commit(claimed)
        }
    }

    /// Records a successful push (or a Retail duplicate answer) and releases the claim.
    public func markSynced(id: Int64) throws(LedgerError) {
        try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET is_synced = 1, sync_state = 'synced', synced_at = UTC_TIMESTAMP(6), \
                sync_claimed_until = NULL, last_sync_error = NULL WHERE id = ?
                """, [.int(id)])
        }
    }

    /// Records several successful pushes in one statement (a push thread's batch) and releases their claims.
    public func markSynced(ids: [Int64]) throws(LedgerError) {
        guard !ids.isEmpty else { return }
        if ids.count == 1 { return try markSynced(id: ids[0]) }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET is_synced = 1, sync_state = 'synced', synced_at = UTC_TIMESTAMP(6), \
                sync_claimed_until = NULL, last_sync_error = NULL WHERE id IN (\(placeholders))
                """, ids.map { SQLValue.int($0) })
        }
    }

    /// Records a retryable failure: the next push waits `retryAfterSeconds` (a `Retry-After`), or 30 s doubling
    /// per attempt up to an hour; the claim is released.
    public func markRetry(id: Int64, error: String, retryAfterSeconds: Int?) throws(LedgerError) {
        // next_sync_at is assigned before sync_attempts: MariaDB evaluates SET items left to right.
        try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET \
                next_sync_at = UTC_TIMESTAMP(6) \
                + INTERVAL COALESCE(?, LEAST(30 << LEAST(sync_attempts, 20), ?)) SECOND, \
                sync_attempts = sync_attempts + 1, last_sync_error = ?, sync_claimed_until = NULL WHERE id = ?
                """,
                [
                    SQLValue(retryAfterSeconds.map { Int64(min(max($0, 0), 86_400)) }),
                    SQLValue(Self.maximumBackoffSeconds),
                    .text(Self.truncated(error)), .int(id),
                ])
        }
    }

    /// Records a permanent failure: `sync_state='failed'` plus an operator item (`sync-failed`), claim released.
    public func markFailed(id: Int64, error: String) throws(LedgerError) {
        let message = Self.truncated(error)
        try database.transaction { connection throws -> TransactionEnd<Void> in
            try connection.execute(
                """
                UPDATE tn_payments SET sync_state = 'failed', sync_attempts = sync_attempts + 1, \
                last_sync_error = ?, sync_claimed_until = NULL WHERE id = ?
                """, [.text(message), .int(id)])
            try connection.execute(
                """
                INSERT INTO operator_items (gateway, reference, reason, payload, created_at) \
                SELECT gateway, payment_id, 'sync-failed', ?, UTC_TIMESTAMP(6) FROM tn_payments WHERE id = ?
                """, [.text(message), .int(id)])
            return .commit(())
        }
    }

    /// Releases a claim without recording an outcome (the push was not attempted).
    public func release(id: Int64) throws(LedgerError) {
        try database.run { connection in
            try connection.execute("UPDATE tn_payments SET sync_claimed_until = NULL WHERE id = ?", [.int(id)])
        }
    }

    static func isSynced(_ id: Int64, _ connection: Connection) throws -> Bool {
        try connection.queryOne("SELECT is_synced FROM tn_payments WHERE id = ?", [.int(id)])?.bool(0) ?? false
    }

    static func setClaim(_ id: Int64, _ connection: Connection) throws {
        try connection.execute(
            "UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ?",
            [SQLValue(claimSeconds), .int(id)])
    }

    static func syncRow(_ row: Row) throws -> SyncRow {
        SyncRow(
            id: try row.int64(0), paymentID: try row.string(1), uid: try row.string(2), gateway: try row.string(3),
            amount: Money(cents: try row.int64(4)), attempts: try row.int(5))
    }

    /// `last_sync_error` holds at most 1024 characters.
    static func truncated(_ error: String) -> String { String(error.prefix(1024)) }
}

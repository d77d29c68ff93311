import Logging
import MariaDB
import PaymentsCore

/// Claims and records pushes of ledger rows to the Retail API (DESIGN §7), for sync threads and `payments-sync`.
///
/// Every push first claims its row in a short transaction (`FOR UPDATE SKIP LOCKED` plus a 60 s lease in
/// `sync_claimed_until` and a fresh token in `sync_claim_token`), so two pushers never push the same row at once
/// and a crashed pusher's claim expires. Outcomes are recorded only under the token the row was claimed with: a
/// pusher whose lease lapsed and was taken over changes nothing. A row that waits for another row (a refund for its
/// payment, a compensation for the row it undoes) is claimable only once that row is synced, and the claim queries
/// skip it, so waiting rows never hold the head of the queue. Errors are `LedgerError` (`.unavailable` when the
/// database is gone; the next call reconnects). Not Sendable: one thread uses an instance at a time.
public final class SyncStore {
    let database: DatabaseSession
    /// Longest automatic backoff between pushes of one row.
    public static let maximumBackoffSeconds = 3600

    /// Nothing is opened until the first call; `logger` receives connection drops and deadlock retries.
    public init(configuration: DatabaseConfiguration, logger: Logger? = nil) {
        database = DatabaseSession(options: configuration.connectionOptions, logger: logger)
    }

    /// Closes the connection; a later call reconnects.
    public func close() { database.drop() }

    /// The columns `syncRow` decodes, of the row aliased `c`.
    static let rowColumns = "c.id, c.payment_id, c.uid, c.gateway, c.amount, c.sync_attempts, c.refund_of"
    static let claimable =
        "c.sync_state = 'pending' AND (c.sync_claimed_until IS NULL OR c.sync_claimed_until < UTC_TIMESTAMP(6))"
    /// Push order: the longest due first. It follows the `(sync_state, next_sync_at)` index, so a claim reads only
    /// the rows it returns plus the few it skips.
    static let pushOrder = "ORDER BY c.next_sync_at, c.id"

    /// Claims one row for an immediate push (the worker's hand-off after the response).
    /// - Returns: the row, or nil when it is synced, failed, claimed by someone else or waits for another row.
    public func claim(rowID: Int64) throws(LedgerError) -> SyncRow? {
        let claim = PushClaim.begin()
        return try database.transaction { connection throws -> TransactionEnd<SyncRow?> in
            guard
                let row = try connection.queryOne(
                    """
                    SELECT \(Self.rowColumns) FROM tn_payments c WHERE c.id = ? AND \(Self.claimable) \
                    AND \(SyncDependency.synced) FOR UPDATE SKIP LOCKED
                    """,
                    [.int(rowID)])
            else { return .commit(nil) }
            try Self.setClaim([rowID], claim, connection)
            return .commit(try Self.syncRow(row, claim: claim))
        }
    }

    /// Claims up to `limit` due rows (`next_sync_at` passed), the longest due first.
    ///
    /// Rows claimed or locked by another pusher are skipped, and so are rows that wait for a row not synced yet:
    /// however many of those there are, the rows returned are rows that can be pushed now. An empty answer means
    /// nothing can be pushed now.
    public func claimDue(limit: Int) throws(LedgerError) -> [SyncRow] {
        guard limit > 0 else { return [] }
        let claim = PushClaim.begin()
        return try database.transaction { connection throws -> TransactionEnd<[SyncRow]> in
            let rows = try connection.query(
                """
                SELECT \(Self.rowColumns) FROM tn_payments c WHERE \(Self.claimable) \
                AND c.next_sync_at <= UTC_TIMESTAMP(6) AND \(SyncDependency.synced) \(Self.pushOrder) \
                LIMIT ? FOR UPDATE SKIP LOCKED
                """, [SQLValue(limit)])
            let claimed = try rows.map { try Self.syncRow($0, claim: claim) }
            try Self.setClaim(claimed.map(\.id), claim, connection)
            return .commit(claimed)
        }
    }

    /// Records a successful push (or a Retail duplicate answer) and releases the claim.
    /// - Returns: false when the row no longer carries this claim (it lapsed and was taken over): nothing changed.
    @discardableResult
    public func markSynced(_ row: SyncRow) throws(LedgerError) -> Bool {
        try markSynced([row]) == 1
    }

    /// Records several successful pushes in one statement (a push thread's batch) and releases their claims.
    /// - Returns: how many were recorded; rows whose claim was taken over are left as the new pusher records them.
    @discardableResult
    public func markSynced(_ rows: [SyncRow]) throws(LedgerError) -> Int {
        let claimed = rows.compactMap { row in row.claim.map { (row.id, $0.token) } }
        guard !claimed.isEmpty else { return 0 }
        let matches = Array(repeating: "(id = ? AND sync_claim_token = ?)", count: claimed.count)
            .joined(separator: " OR ")
        return try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET is_synced = 1, sync_state = 'synced', synced_at = UTC_TIMESTAMP(6), \
                sync_claimed_until = NULL, sync_claim_token = NULL, last_sync_error = NULL WHERE \(matches)
                """, claimed.flatMap { [SQLValue.int($0.0), .int($0.1)] }
            ).affectedRows
        }
    }

    /// Records a retryable failure: the next push waits `retryAfterSeconds` (a `Retry-After`), or 30 s doubling
    /// per attempt up to an hour; the claim is released.
    /// - Returns: false when the row no longer carries this claim: nothing changed.
    @discardableResult
    public func markRetry(_ row: SyncRow, error: String, retryAfterSeconds: Int?) throws(LedgerError) -> Bool {
        guard let claim = row.claim else { return false }
        // next_sync_at is assigned before sync_attempts: MariaDB evaluates SET items left to right.
        return try database.run { connection in
            try connection.execute(
                """
                UPDATE tn_payments SET \
                next_sync_at = UTC_TIMESTAMP(6) \
                + INTERVAL COALESCE(?, LEAST(30 << LEAST(sync_attempts, 20), ?)) SECOND, \
                sync_attempts = sync_attempts + 1, last_sync_error = ?, sync_claimed_until = NULL, \
                sync_claim_token = NULL WHERE id = ? AND sync_claim_token = ?
                """,
                [
                    SQLValue(retryAfterSeconds.map { Int64(min(max($0, 0), 86_400)) }),
                    SQLValue(Self.maximumBackoffSeconds),
                    .text(Self.truncated(error)), .int(row.id), .int(claim.token),
                ]
            ).affectedRows == 1
        }
    }

    /// Records a permanent failure: `sync_state='failed'` plus an operator item (`sync-failed`), claim released.
    /// - Returns: false when the row no longer carries this claim: nothing changed and no item was opened.
    @discardableResult
    public func markFailed(_ row: SyncRow, error: String) throws(LedgerError) -> Bool {
        guard let claim = row.claim else { return false }
        let message = Self.truncated(error)
        return try database.transaction { connection throws -> TransactionEnd<Bool> in
            let changed = try connection.execute(
                """
                UPDATE tn_payments SET sync_state = 'failed', sync_attempts = sync_attempts + 1, \
                last_sync_error = ?, sync_claimed_until = NULL, sync_claim_token = NULL \
                WHERE id = ? AND sync_claim_token = ?
                """, [.text(message), .int(row.id), .int(claim.token)]
            ).affectedRows
            guard changed == 1 else { return .rollback(false) }
            try connection.execute(
                """
                INSERT INTO operator_items (gateway, reference, reason, payload, created_at) \
                SELECT gateway, payment_id, 'sync-failed', ?, UTC_TIMESTAMP(6) FROM tn_payments WHERE id = ?
                """, [.text(message), .int(row.id)])
            return .commit(true)
        }
    }

    /// Releases a claim without recording an outcome (the push was not attempted).
    /// - Returns: false when the row no longer carries this claim (nothing to release).
    @discardableResult
    public func release(_ row: SyncRow) throws(LedgerError) -> Bool {
        try release([row]) == 1
    }

    /// Releases the claims of `rows` that still carry them (rows without a claim are skipped).
    /// - Returns: how many were released.
    @discardableResult
    public func release(_ rows: [SyncRow]) throws(LedgerError) -> Int {
        guard rows.contains(where: { $0.claim != nil }) else { return 0 }
        return try database.run { connection in try Self.release(rows, connection) }
    }

    /// Releases the claims of `rows` that still carry them; returns how many did. The one statement that lets a
    /// claim go without recording an outcome, used by this store and by `MariaDBLedger.releasePushClaims`.
    static func release(_ rows: [SyncRow], _ connection: Connection) throws -> Int {
        var released = 0
        for row in rows {
            guard let claim = row.claim else { continue }
            released += try connection.execute(
                """
                UPDATE tn_payments SET sync_claimed_until = NULL, sync_claim_token = NULL \
                WHERE id = ? AND sync_claim_token = ?
                """, [.int(row.id), .int(claim.token)]
            ).affectedRows
        }
        return released
    }

    /// Writes the lease and the token of `claim` on rows locked by the caller's transaction.
    static func setClaim(_ ids: [Int64], _ claim: PushClaim, _ connection: Connection) throws {
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try connection.execute(
            """
            UPDATE tn_payments SET sync_claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, sync_claim_token = ? \
            WHERE id IN (\(placeholders))
            """, [SQLValue(PushClaim.leaseSeconds), .int(claim.token)] + ids.map { SQLValue.int($0) })
    }

    static func syncRow(_ row: Row, claim: PushClaim? = nil) throws -> SyncRow {
        SyncRow(
            id: try row.int64(0), paymentID: try row.string(1), uid: try row.string(2), gateway: try row.string(3),
            amount: Money(cents: try row.int64(4)), attempts: try row.int(5), claim: claim)
    }

    /// `last_sync_error` holds at most 1024 characters.
    static func truncated(_ error: String) -> String { String(error.prefix(1024)) }
}

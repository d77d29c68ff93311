import Logging
import MariaDB
import PaymentsCore

/// Claims open sessions for reconciliation (DESIGN §8) the way `SyncStore` claims rows: `FOR UPDATE SKIP LOCKED`
/// plus a lease in `reconcile_claimed_until`, so parallel `payments-sync` runs never work on the same session.
///
/// Errors are `LedgerError`. Not Sendable: one thread uses an instance at a time.
public final class ReconcileStore {
    let database: DatabaseSession
    /// Longest backoff between two looks at one session.
    public static let maximumBackoffSeconds = 3600

    /// Nothing is opened until the first call; `logger` receives connection drops and deadlock retries.
    public init(configuration: DatabaseConfiguration, logger: Logger? = nil) {
        database = DatabaseSession(options: configuration.connectionOptions, logger: logger)
    }

    /// Closes the connection; a later call reconnects.
    public func close() { database.drop() }

    /// Claims up to `limit` sessions in `creating`/`pending`/`review` whose `next_reconcile_at` has passed and
    /// whose lease (if any) expired, most overdue first, leasing them for `leaseSeconds`.
    public func claimDueSessions(limit: Int, leaseSeconds: Int = 120) throws(LedgerError) -> [PaymentSession] {
        guard limit > 0 else { return [] }
        return try database.transaction { connection throws -> TransactionEnd<[PaymentSession]> in
            let rows = try connection.query(
                """
                SELECT \(RowDecoding.sessionColumns) FROM payment_sessions \
                WHERE status IN ('creating', 'pending', 'review') AND next_reconcile_at <= UTC_TIMESTAMP(6) \
                AND (reconcile_claimed_until IS NULL OR reconcile_claimed_until < UTC_TIMESTAMP(6)) \
                ORDER BY next_reconcile_at, id LIMIT ? FOR UPDATE SKIP LOCKED
                """, [SQLValue(limit)])
            let sessions = try rows.map(RowDecoding.session(from:))
            for session in sessions {
                try connection.execute(
                    """
                    UPDATE payment_sessions SET reconcile_claimed_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND \
                    WHERE id = ?
                    """, [SQLValue(max(1, leaseSeconds)), .int(session.id)])
            }
            return .commit(sessions)
        }
    }

    /// Up to `limit` sessions `claimDueSessions` would take now, without claiming them (`--dry-run`).
    public func listDueSessions(limit: Int) throws(LedgerError) -> [PaymentSession] {
        try database.run { connection in
            try connection.query(
                """
                SELECT \(RowDecoding.sessionColumns) FROM payment_sessions \
                WHERE status IN ('creating', 'pending', 'review') AND next_reconcile_at <= UTC_TIMESTAMP(6) \
                AND (reconcile_claimed_until IS NULL OR reconcile_claimed_until < UTC_TIMESTAMP(6)) \
                ORDER BY next_reconcile_at, id LIMIT ?
                """, [SQLValue(max(0, limit))]
            ).map(RowDecoding.session(from:))
        }
    }

    /// Looks again later: one more attempt, next look after 60 s doubling per attempt up to an hour, lease released.
    public func reschedule(sessionID: Int64) throws(LedgerError) {
        // next_reconcile_at is assigned before reconcile_attempts: MariaDB evaluates SET items left to right.
        try database.run { connection in
            try connection.execute(
                """
                UPDATE payment_sessions SET \
                next_reconcile_at = UTC_TIMESTAMP(6) + INTERVAL LEAST(60 << LEAST(reconcile_attempts, 20), ?) SECOND, \
                reconcile_attempts = reconcile_attempts + 1, reconcile_claimed_until = NULL WHERE id = ?
                """, [SQLValue(Self.maximumBackoffSeconds), .int(sessionID)])
        }
    }

    /// Releases a lease without rescheduling (the session was closed or will be looked at again at once).
    public func release(sessionID: Int64) throws(LedgerError) {
        try database.run { connection in
            try connection.execute(
                "UPDATE payment_sessions SET reconcile_claimed_until = NULL WHERE id = ?", [.int(sessionID)])
        }
    }
}

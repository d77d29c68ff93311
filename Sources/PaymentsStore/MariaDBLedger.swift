import Logging
import MariaDB
import PaymentsCore

/// The MariaDB-backed `Ledger`: one per worker thread, with its own lazily opened connection or one borrowed from the
/// responder's pool.
///
/// A lost connection is dropped and reported as `LedgerError(.unavailable)`; the next call reconnects. A COMMIT
/// that loses the connection is `.unknownOutcome`. Deadlocks (1213) and lock-wait timeouts (1205) roll back and
/// rerun the whole transaction up to three times. Not Sendable: create it on (or for) the thread that uses it.
public final class MariaDBLedger: Ledger {
    /// Where a ledger's connection comes from.
    private enum Connections {
        /// The ledger's own connection, opened on first use.
        case own(DatabaseSession)
        /// The responder's pool: a connection is borrowed on first use and given back by `returnConnection()`.
        case pool(DatabaseSessionPool)
    }

    private let connections: Connections
    /// The pool's session lent now, if any.
    private var lease: DatabaseSessionPool.Lease?
    /// The connection calls go to. A pooled ledger borrows one here when it holds none (waiting for a free one), so
    /// a request that never reaches the database, or a credit answered by another thread's batch, borrows nothing.
    var database: DatabaseSession {
        switch connections {
        case .own(let session):
            return session
        case .pool(let pool):
            if let lease { return lease.session }
            let lent = pool.acquire()
            lease = lent
            return lent.session
        }
    }
    /// Seconds after creation when reconciliation first looks at a session (`RECONCILE_AFTER_SECONDS`).
    public let reconcileAfterSeconds: Int
    /// The responder's shared group commit for the commonest confirmation; nil confirms each credit alone.
    let creditGroup: CreditConfirmationGroup?

    /// - Parameters:
    ///   - configuration: where to connect; nothing is opened until the first call.
    ///   - logger: receives connection drops (warning) and deadlock retries (debug); never bind values.
    ///   - reconcileAfterSeconds: delay before a new session becomes due for reconciliation.
    ///   - creditGroup: shared by every worker's ledger so concurrent credits are confirmed together.
    public init(
        configuration: DatabaseConfiguration, logger: Logger? = nil, reconcileAfterSeconds: Int = 900,
        creditGroup: CreditConfirmationGroup? = nil
    ) {
        self.connections = .own(DatabaseSession(options: configuration.connectionOptions, logger: logger))
        self.reconcileAfterSeconds = reconcileAfterSeconds
        self.creditGroup = creditGroup
    }

    /// A ledger that borrows a connection from `pool` when a call first needs one, and gives it back at the end of
    /// each request (`returnConnection`) and before its credit goes to the group commit (whose batches have
    /// connections of their own).
    public init(
        pool: DatabaseSessionPool, reconcileAfterSeconds: Int = 900, creditGroup: CreditConfirmationGroup? = nil
    ) {
        self.connections = .pool(pool)
        self.reconcileAfterSeconds = reconcileAfterSeconds
        self.creditGroup = creditGroup
    }

    /// Gives the borrowed connection back, if any; the next call borrows one again. Never inside a transaction.
    public func returnConnection() {
        guard case .pool(let pool) = connections, let lent = lease else { return }
        lease = nil
        pool.release(lent)
    }

    /// Releases push claims that will not be used (`apply(_:claimingCreditsForPush:)` wrote them but the push queue
    /// turned the rows away), so `payments-sync` can take the rows as soon as they are due rather than when the
    /// lease expires; a claim already taken over is left alone.
    public func releasePushClaims(_ rows: [SyncRow]) throws(LedgerError) {
        guard !rows.isEmpty else { return }
        try database.run { connection in _ = try SyncStore.release(rows, connection) }
    }

    /// The server-side id of the connection held now, or nil when none is open or borrowed (for tests and
    /// diagnostics); it never borrows one.
    public var connectionID: Int64? {
        switch connections {
        case .own(let session): return session.connectionID
        case .pool: return lease?.session.connectionID
        }
    }

    /// Closes the connection (at thread end); a later call reconnects. A pooled ledger gives back what it borrowed
    /// instead (the pool closes its connections).
    public func close() {
        switch connections {
        case .own(let session): session.drop()
        case .pool: returnConnection()
        }
    }

    public func createSession(gateway: String, uid: String, amount: Money, currency: String) throws(LedgerError)
        -> PaymentSession
    {
        let publicID = UUIDv4.make()
        return try database.run { connection in
            let rows = try connection.query(
                """
                INSERT INTO payment_sessions (public_id, gateway, uid, amount, currency, status, created_at, \
                updated_at, next_reconcile_at, reconcile_attempts) \
                VALUES (?, ?, ?, ?, ?, 'creating', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), \
                UTC_TIMESTAMP(6) + INTERVAL ? SECOND, 0) RETURNING id, created_at
                """,
                [
                    .text(publicID), .text(gateway), .text(uid), .int(amount.cents), .text(currency),
                    SQLValue(reconcileAfterSeconds),
                ])
            guard let row = rows.first else { throw LedgerError(.failed, "INSERT … RETURNING returned no row") }
            return PaymentSession(
                id: try row.int64(0), publicID: publicID, gateway: gateway, externalID: nil, uid: uid, amount: amount,
                currency: currency, status: .creating, createdAt: try row.unixSeconds(1))
        }
    }

    public func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws(LedgerError) {
        try database.run { connection in
            let result: ExecuteResult
            do {
                result = try connection.execute(
                    """
                    UPDATE payment_sessions SET external_id = ?, status = ?, updated_at = UTC_TIMESTAMP(6) \
                    WHERE id = ? AND status = 'creating' AND external_id IS NULL
                    """, [.text(externalID), .text(status.rawValue), .int(sessionID)])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw LedgerError(.integrity, "external id is already attached to another session", cause: error)
            }
            if result.affectedRows == 1 { return }
            guard
                let row = try connection.queryOne(
                    "SELECT external_id, status FROM payment_sessions WHERE id = ?", [.int(sessionID)])
            else { throw LedgerError(.failed, "session \(sessionID) does not exist") }
            let stored = try row.optionalString(0)
            if stored == externalID { return }
            throw LedgerError(
                .integrity,
                "session \(sessionID) is \(try row.string(1)) with \(stored == nil ? "no" : "another") external id")
        }
    }

    public func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws(LedgerError) {
        try database.run { connection in
            try connection.execute(
                "UPDATE payment_sessions SET status = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                [.text(status.rawValue), .int(sessionID)])
        }
    }

    /// The session look-ups, each built once: the statement cache is keyed by the text, and these run per request.
    private static let sessionByPublicID =
        "SELECT \(RowDecoding.sessionColumns) FROM payment_sessions WHERE public_id = ?"
    private static let sessionByID = "SELECT \(RowDecoding.sessionColumns) FROM payment_sessions WHERE id = ?"
    private static let sessionByExternalID =
        "SELECT \(RowDecoding.sessionColumns) FROM payment_sessions WHERE gateway = ? AND external_id = ?"

    public func session(publicID: String) throws(LedgerError) -> PaymentSession? {
        // `public_id` is an ASCII column: text from a client that cannot be one (non-ASCII) would not even compare
        // (MariaDB error 1267), so it names no session.
        guard publicID.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return try database.run { connection in
            try connection.queryOne(Self.sessionByPublicID, [.text(publicID)]).map(RowDecoding.session(from:))
        }
    }

    /// The session with this row id, as it is now (the session event publisher reads `public_id` and status here).
    public func session(id: Int64) throws(LedgerError) -> PaymentSession? {
        try database.run { connection in
            try connection.queryOne(Self.sessionByID, [.int(id)]).map(RowDecoding.session(from:))
        }
    }

    public func session(gateway: String, externalID: String) throws(LedgerError) -> PaymentSession? {
        try database.run { connection in
            try connection.queryOne(Self.sessionByExternalID, [.text(gateway), .text(externalID)])
                .map(RowDecoding.session(from:))
        }
    }

    public func eventExists(gateway: String, eventID: String) throws(LedgerError) -> Bool {
        try database.run { connection in
            try connection.queryOne(
                "SELECT 1 FROM webhook_events WHERE gateway = ? AND event_id = ?", [.text(gateway), .text(eventID)]
            ) != nil
        }
    }

    public func entry(paymentID: String) throws(LedgerError) -> StoredLedgerEntry? {
        try database.run { connection in
            try connection.queryOne(
                "SELECT \(RowDecoding.entryColumns) FROM tn_payments WHERE payment_id = ?", [.text(paymentID)]
            ).map(RowDecoding.entry(from:))
        }
    }

    public func refundedTotal(of paymentID: String) throws(LedgerError) -> Money {
        try database.run { connection in
            let row = try connection.queryOne(
                """
                SELECT CAST(COALESCE(SUM(r.amount), 0) AS SIGNED) FROM tn_payments r \
                JOIN tn_payments p ON r.refund_of = p.id WHERE p.payment_id = ?
                """, [.text(paymentID)])
            return Money(cents: Saturating.subtract(0, try row?.int64(0) ?? 0))
        }
    }

    public func transactions(uid: String, offset: Int, limit: Int) throws(LedgerError)
        -> (rows: [StoredLedgerEntry], total: Int)
    {
        try database.run { connection in
            let rows = try connection.query(
                "SELECT \(RowDecoding.entryColumns) FROM tn_payments WHERE uid = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                [.text(uid), SQLValue(max(0, limit)), SQLValue(max(0, offset))]
            ).map(RowDecoding.entry(from:))
            let total = try connection.queryOne("SELECT COUNT(*) FROM tn_payments WHERE uid = ?", [.text(uid)])
            return (rows, try total?.int(0) ?? 0)
        }
    }

    public func syncBacklog() throws(LedgerError) -> (unsynced: Int, oldestSeconds: Int) {
        try database.run { connection in
            let backlog = try SyncBacklog.read(connection)
            return (backlog.unsynced, backlog.oldestSeconds)
        }
    }

    /// Reads a table rather than only pinging: a Galera node outside the primary component still answers a ping
    /// and `SELECT 1` but refuses every table (1047), and `health` must say so.
    public func ping() throws(LedgerError) {
        try database.run { connection in _ = try connection.queryOne("SELECT 1 FROM schema_migrations LIMIT 1") }
    }
}

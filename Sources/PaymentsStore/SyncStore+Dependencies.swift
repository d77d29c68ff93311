import MariaDB
import PaymentsCore

/// The rows a ledger row waits for before it may reach Retail (DESIGN §7), as SQL over the row aliased `c`.
///
/// A refund, reversal or dispute row waits for the payment it adjusts (`refund_of`). A compensation, which undoes
/// one of those (`<id>-reversed` for a refund, `<du_…>-reinstated` for a dispute, written with the same
/// `refund_of`), also waits for the row it undoes, found by its `payment_id` through the unique key. Every lookup
/// is by primary or unique key and none of them locks, so claims stay short and lock only the rows they take.
enum SyncDependency {
    /// The `payment_id` of the row `c` undoes, NULL unless `c` is a compensation.
    static let undonePaymentID = """
        CASE WHEN c.payment_id LIKE '%-reversed' THEN LEFT(c.payment_id, CHAR_LENGTH(c.payment_id) - 9) \
        WHEN c.payment_id LIKE '%-reinstated' THEN LEFT(c.payment_id, CHAR_LENGTH(c.payment_id) - 11) END
        """

    /// `FROM … WHERE` of the payment `c` adjusts, as `p`.
    static let payment = "FROM tn_payments p WHERE p.id = c.refund_of"
    /// `FROM … WHERE` of the row `c` undoes, as `p`.
    static let undone = "FROM tn_payments p WHERE p.payment_id = \(undonePaymentID) AND p.refund_of = c.refund_of"

    /// True when every row `c` waits for is synced (always for credits).
    static let synced = """
        (c.refund_of IS NULL OR (NOT EXISTS (SELECT 1 \(payment) AND p.sync_state <> 'synced') \
        AND NOT EXISTS (SELECT 1 \(undone) AND p.sync_state <> 'synced')))
        """

    /// The `payment_id` of a row `c` waits for that failed for good, NULL when none did.
    static let failed = """
        COALESCE((SELECT p.payment_id \(undone) AND p.sync_state = 'failed'), \
        (SELECT p.payment_id \(payment) AND p.sync_state = 'failed'))
        """

    /// Microseconds from now until the last pending row `c` waits for is due, NULL when none is due later.
    static let waitMicroseconds = """
        NULLIF(GREATEST(0, \
        COALESCE(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), (SELECT p.next_sync_at \(payment) \
        AND p.sync_state = 'pending')), 0), \
        COALESCE(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), (SELECT p.next_sync_at \(undone) \
        AND p.sync_state = 'pending')), 0)), 0)
        """
}

extension SyncStore {
    /// What `settleWaitingRows` did.
    public struct Settled: Sendable, Equatable {
        /// Rows whose dependency failed for good: now `failed`, each with a `dependency-failed` operator item.
        public var failed: [SyncRow] = []
        /// Rows moved to when the row they wait for is next due.
        public var deferred = 0

        public init() {}
    }

    /// Settles due rows that wait for a row not synced yet, up to `limit` per round (`payments-sync run` calls it
    /// before and after its pass).
    ///
    /// A row whose dependency failed for good can never be pushed: it becomes `failed` with an operator item
    /// (`dependency-failed`) and leaves the queue; rounds repeat while they fail rows, so a compensation of a row
    /// failed this way follows it. A row whose dependency waits for a later retry is moved to that time, so claims
    /// do not keep stepping over it. Rows claimed or locked by others are left alone.
    public func settleWaitingRows(limit: Int = 1000) throws(LedgerError) -> Settled {
        var settled = Settled()
        while true {
            let round = try settleRound(limit: limit)
            settled.failed += round.failed
            settled.deferred += round.deferred
            if round.failed.isEmpty { return settled }
        }
    }

    private func settleRound(limit: Int) throws(LedgerError) -> Settled {
        try database.transaction { connection throws -> TransactionEnd<Settled> in
            var settled = Settled()
            let rows = try connection.query(
                """
                SELECT \(Self.rowColumns), \(SyncDependency.failed), \(SyncDependency.waitMicroseconds) \
                FROM tn_payments c WHERE \(Self.claimable) AND c.next_sync_at <= UTC_TIMESTAMP(6) \
                AND c.refund_of IS NOT NULL AND NOT \(SyncDependency.synced) \(Self.pushOrder) \
                LIMIT ? FOR UPDATE SKIP LOCKED
                """, [SQLValue(max(1, limit))])
            for row in rows {
                let waiting = try Self.syncRow(row)
                if let dependency = try row.optionalString(7) {
                    try Self.failForDependency(waiting, dependency: dependency, connection)
                    settled.failed.append(waiting)
                } else if let wait = try row.optionalInt64(8) {
                    try connection.execute(
                        "UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND WHERE id = ?",
                        [.int(wait), .int(waiting.id)])
                    settled.deferred += 1
                }
            }
            return .commit(settled)
        }
    }

    private static func failForDependency(_ row: SyncRow, dependency: String, _ connection: Connection) throws {
        let message = "dependency-failed: \(dependency) was refused by Retail for good; this row cannot follow it"
        try connection.execute(
            """
            UPDATE tn_payments SET sync_state = 'failed', last_sync_error = ?, sync_claimed_until = NULL, \
            sync_claim_token = NULL WHERE id = ?
            """, [.text(truncated(message)), .int(row.id)])
        let payload = JSONValue.object([
            ("payment_id", .string(row.paymentID)), ("uid", .string(row.uid)), ("amount", .int(row.amount.cents)),
            ("waits_for", .string(dependency)), ("waits_for_state", .string("failed")),
        ]).serialized()
        try connection.execute(
            """
            INSERT INTO operator_items (gateway, reference, reason, payload, created_at) \
            VALUES (?, ?, 'dependency-failed', ?, UTC_TIMESTAMP(6))
            """, [.text(row.gateway), .text(row.paymentID), .text(payload)])
    }
}

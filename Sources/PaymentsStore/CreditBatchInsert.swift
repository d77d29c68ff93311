import MariaDB
import PaymentsCore

/// The fast path of a `CreditBatch` in which every credit is new: the events, the credits and the session updates
/// written set by set, a few multi-row statements in one transaction, instead of sql/0009's procedure running the
/// step item by item.
///
/// Why: inside `tn_confirm_credits` each credit pays its own nested `CALL` and statements; written as sets, the
/// server parses and opens each table once per batch. mariadbd's CPU per credit (bench/README.md, "set-based
/// batches"): 0.35 → 0.21 ms at 4 credits, 0.27 → 0.14 ms at 8.
///
/// It writes only what the procedure would write when every item's answer is `inserted`, and it finds out inside
/// the transaction, from the database, whether that is so: a stored event or payment id fails its multi-row insert
/// (duplicate key), and the locked sessions show any credit already stored for them. Any of these, or any other
/// refusal, rolls the transaction back and the caller runs the procedure, which answers each item on its own.
///
/// Named credits (`NamedSessionCredit`) are only ever written here: their sessions are read and locked by
/// `public_id` in the same transaction, and each must be the one named, neither `paid` nor `refunded` and without a
/// credit; its id then goes into the credit's row, and the session moves to `paid`. A session that is not so rolls
/// the batch back like a credit that is not new.
struct CreditBatchInsert {
    /// Rows per statement at most; a larger batch takes several statements of each kind in the same transaction.
    /// Every row count is its own prepared statement on each connection that runs batches, and each keeps its bind
    /// arrays (about 15 binds per credit). Batches run on two connections of their own (`CreditConfirmationGroup`),
    /// so 16 rows cost less memory than 8 did on every worker's connection (payments-fcgi's peak on the bench: 38
    /// against 44 MB at 16 workers; 16 rows on every worker's connection took it to 55 MB), and a batch of 9 to 16
    /// credits (the common size under load) is 4 statements instead of 8 (bench/README.md, "batches on connections
    /// of their own").
    static let rowsPerStatement = 16

    /// Sorted by event (the caller's order), so events are inserted, and their keys locked, in the same order as the
    /// procedure path does.
    let confirmations: [CreditConfirmation]
    /// The distinct session ids the credits name, ascending (the order InnoDB locks them in).
    private let sessionIDs: [Int64]
    /// The sessions named credits name, by `public_id`; and those ids ascending.
    private let references: [String: SessionReference]
    private let namedIDs: [String]
    /// The session updates, by status, each list ascending.
    private let sessionUpdates: [(status: String, ids: [Int64])]

    /// Nil when two credits share an event, a payment id, a session or a session update: the procedure decides
    /// between them (a duplicate, a second payment) in order.
    init?(_ confirmations: [CreditConfirmation]) {
        var events = Set<String>()
        var payments = Set<String>()
        var sessions = Set<Int64>()
        var updates: [String: [Int64]] = [:]
        var updated = Set<Int64>()
        var references: [String: SessionReference] = [:]
        for confirmation in confirmations {
            guard events.insert(confirmation.event.gateway + "\u{0}" + confirmation.event.eventID).inserted,
                payments.insert(confirmation.entry.paymentID).inserted
            else { return nil }
            if let session = confirmation.entry.sessionID, !sessions.insert(session).inserted { return nil }
            if let reference = confirmation.named {
                // `public_id` is an ASCII column: other text would not even compare (MariaDB error 1267).
                guard references[reference.publicID] == nil, reference.publicID.utf8.allSatisfy({ $0 < 0x80 })
                else { return nil }
                references[reference.publicID] = reference
            }
            if let update = confirmation.sessionUpdate {
                guard updated.insert(update.sessionID).inserted else { return nil }
                updates[update.status.rawValue, default: []].append(update.sessionID)
            }
        }
        self.confirmations = confirmations
        sessionIDs = sessions.sorted()
        self.references = references
        namedIDs = references.keys.sorted()
        sessionUpdates = updates.keys.sorted().map { status in (status, (updates[status] ?? []).sorted()) }
    }

    /// The new rows' ids and the session of each, one per credit in order; nil when some credit is not new or some
    /// named session is not as its credit needs (nothing was written).
    ///
    /// - Throws: `LedgerError` as `DatabaseSession.transaction` maps it (a deadlock reruns the whole transaction).
    func apply(_ database: DatabaseSession) throws(LedgerError) -> [(rowID: Int64, sessionID: Int64?)]? {
        try database.transaction { connection in
            do {
                for part in Self.parts(confirmations) {
                    try connection.execute(Self.eventInserts[part.count], Self.eventValues(part))
                }
                for part in Self.parts(sessionIDs) {
                    let sessions = try connection.query(Self.sessionLocks[part.count], part.map { .int($0) })
                    if sessions.contains(where: { !$0.isNull(0) }) { return .rollback(nil) }
                }
                guard let named = try findNamedSessions(connection) else { return .rollback(nil) }
                let sessionOf = confirmations.map { confirmation in
                    confirmation.entry.sessionID ?? confirmation.named.flatMap { named[$0.publicID] }
                }
                var ids: [String: Int64] = [:]
                for part in Self.parts(Array(confirmations.indices)) {
                    let values = Self.paymentValues(
                        part.map { confirmations[$0] }, sessions: part.map { sessionOf[$0] })
                    for row in try connection.query(Self.paymentInserts[part.count], values) {
                        ids[try row.string(1)] = try row.int64(0)
                    }
                }
                let rowIDs = confirmations.compactMap { ids[$0.entry.paymentID] }
                guard rowIDs.count == confirmations.count else {
                    throw LedgerError(
                        .failed, "INSERT … RETURNING answered \(ids.count) rows for \(confirmations.count)")
                }
                for update in Self.merged(sessionUpdates, paid: named.values.sorted()) {
                    for part in Self.parts(update.ids) {
                        try connection.execute(
                            Self.sessionStatusUpdates[part.count], [.text(update.status)] + part.map { .int($0) })
                    }
                }
                return .commit(zip(rowIDs, sessionOf).map { (rowID: $0, sessionID: $1) })
            } catch let error as MariaDBError where error.isDuplicateKey {
                return .rollback(nil)
            }
        }
    }

    /// The named sessions' ids by `public_id`, read and locked; nil when one is missing, is not the session named,
    /// is `paid` or `refunded`, holds a credit, or is also the session of another credit of the batch.
    private func findNamedSessions(_ connection: Connection) throws -> [String: Int64]? {
        var found: [String: Int64] = [:]
        for part in Self.parts(namedIDs) {
            for row in try connection.query(Self.namedSessionLocks[part.count], part.map { .text($0) }) {
                let publicID = try row.string(1)
                guard let reference = references[publicID], try Self.isAsNeeded(row, by: reference) else { return nil }
                found[publicID] = try row.int64(0)
            }
        }
        guard found.count == namedIDs.count, Set(found.values).isDisjoint(with: sessionIDs) else { return nil }
        return found
    }

    /// Whether a row of `namedSessionLocks` is the session `reference` names, open to a first credit.
    private static func isAsNeeded(_ row: Row, by reference: SessionReference) throws -> Bool {
        let externalID = try row.optionalString(4)
        let status = try row.string(5)
        return try row.string(2) == reference.gateway && row.string(3) == reference.uid
            && (externalID == nil || externalID == reference.externalID)
            && status != SessionStatus.paid.rawValue && status != SessionStatus.refunded.rawValue && row.isNull(6)
    }

    /// The session updates with the named sessions' move to `paid` added.
    private static func merged(_ updates: [(status: String, ids: [Int64])], paid: [Int64]) -> [(
        status: String, ids: [Int64]
    )] {
        guard !paid.isEmpty else { return updates }
        var merged = updates
        if let index = merged.firstIndex(where: { $0.status == SessionStatus.paid.rawValue }) {
            merged[index].ids = (merged[index].ids + paid).sorted()
        } else {
            merged.append((SessionStatus.paid.rawValue, paid))
        }
        return merged
    }

    /// `items` in order, in runs of at most `rowsPerStatement`.
    private static func parts<Item>(_ items: [Item]) -> [ArraySlice<Item>] {
        stride(from: 0, to: items.count, by: rowsPerStatement).map { start in
            items[start..<min(items.count, start + rowsPerStatement)]
        }
    }

    private static func eventValues(_ confirmations: ArraySlice<CreditConfirmation>) -> [SQLValue] {
        confirmations.flatMap { confirmation -> [SQLValue] in
            let event = confirmation.event
            return [
                .text(event.gateway), .text(event.eventID), .text(event.eventType), .bytes(event.payload),
                .text(event.headersJSON), .text(String(event.outcome.prefix(64))),
            ]
        }
    }

    private static func paymentValues(_ confirmations: [CreditConfirmation], sessions: [Int64?]) -> [SQLValue] {
        zip(confirmations, sessions).flatMap { confirmation, session -> [SQLValue] in
            let entry = confirmation.entry
            return [
                .text(entry.paymentID), .text(entry.uid), .text(entry.gateway), .int(entry.amount.cents),
                SQLValue(session),
                confirmation.claim == nil ? .null : SQLValue(PushClaim.leaseSeconds),
                SQLValue(confirmation.claim?.token),
            ]
        }
    }

    // The statements, one text per number of rows (the connection's statement cache keeps each prepared; the texts
    // are built once): the same columns and values as sql/0009's tn_confirm_credit_step.

    /// Indexed by row count, 1...rowsPerStatement (`parts` never makes more).
    private static let eventInserts = (0...rowsPerStatement).map(buildEventInsert)
    private static let sessionLocks = (0...rowsPerStatement).map(buildSessionLock)
    private static let namedSessionLocks = (0...rowsPerStatement).map(buildNamedSessionLock)
    private static let paymentInserts = (0...rowsPerStatement).map(buildPaymentInsert)
    private static let sessionStatusUpdates = (0...rowsPerStatement).map(buildSessionUpdate)

    private static func buildEventInsert(_ count: Int) -> String {
        "INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, "
            + "outcome) VALUES " + repeated("(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)", count)
    }

    /// Locks the sessions (as the procedure's second-payment check does) and reads any credit already stored for
    /// each: a non-NULL answer means this batch is not all new.
    private static func buildSessionLock(_ count: Int) -> String {
        "SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL LIMIT 1) "
            + "FROM payment_sessions s WHERE s.id IN (" + repeated("?", count) + ") FOR UPDATE"
    }

    /// Locks the named sessions and reads what `isAsNeeded` checks, with any credit already stored for each.
    private static func buildNamedSessionLock(_ count: Int) -> String {
        "SELECT s.id, s.public_id, s.gateway, s.uid, s.external_id, s.status, (SELECT t.payment_id FROM tn_payments t "
            + "WHERE t.session_id = s.id AND t.refund_of IS NULL LIMIT 1) FROM payment_sessions s WHERE s.public_id IN ("
            + repeated("?", count) + ") FOR UPDATE"
    }

    private static func buildPaymentInsert(_ count: Int) -> String {
        "INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, refund_of, "
            + "sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token) VALUES "
            + repeated(
                "(?, ?, ?, ?, 0, UTC_TIMESTAMP(6), ?, NULL, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, "
                    + "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)", count) + " RETURNING id, payment_id"
    }

    private static func buildSessionUpdate(_ count: Int) -> String {
        "UPDATE payment_sessions SET status = ?, updated_at = UTC_TIMESTAMP(6) WHERE id IN (" + repeated("?", count)
            + ")"
    }

    private static func repeated(_ piece: String, _ count: Int) -> String {
        Array(repeating: piece, count: max(1, count)).joined(separator: ", ")
    }
}

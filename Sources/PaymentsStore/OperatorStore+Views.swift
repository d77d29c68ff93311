import MariaDB
import PaymentsCore

extension OperatorStore {
    /// The ledger columns an operator reads: the row, its sync state and what it refunds.
    static let ledgerColumns = """
        id, payment_id, uid, gateway, amount, refund_of, session_id, created_at, sync_state, is_synced, \
        sync_attempts, next_sync_at, synced_at, last_sync_error
        """
    static let sessionColumns = """
        id, public_id, gateway, external_id, uid, amount, currency, status, created_at, updated_at, \
        next_reconcile_at, reconcile_attempts
        """
    /// Events are shown without their payload (its size only): bodies can hold personal data.
    static let eventColumns =
        "id, gateway, event_id, event_type, received_at, outcome, LENGTH(payload) AS payload_bytes"
    static let itemColumns = "id, gateway, reference, reason, created_at, resolved_at, resolution_note, payload"
    static let actionColumns = "id, action, target, os_user, reason, result, created_at"
    /// A view lists at most this many rows per table.
    static let viewLimit = 200

    /// Everything about one `payment_id`: its ledger rows (the payment and what refunds it, or a refund and its
    /// payment), the session, the webhook events that name it, the operator items and actions about it.
    /// - Returns: nil when no ledger row, session or operator item knows the id.
    public func view(paymentID: String) throws(LedgerError) -> [RecordSet]? {
        try database.run { connection -> [RecordSet]? in
            let ledger = try connection.query(
                """
                SELECT \(Self.ledgerColumns) FROM tn_payments WHERE payment_id = ? OR refund_of IN \
                (SELECT id FROM tn_payments WHERE payment_id = ?) OR id IN \
                (SELECT refund_of FROM tn_payments WHERE payment_id = ?) ORDER BY id LIMIT \(Self.viewLimit)
                """, [.text(paymentID), .text(paymentID), .text(paymentID)])
            let sessionIDs = ledger.compactMap { try? $0.optionalInt64(6) }
            let sessions = try connection.query(
                """
                SELECT \(Self.sessionColumns) FROM payment_sessions WHERE external_id = ? \
                \(sessionIDs.isEmpty ? "" : "OR id IN (\(sessionIDs.map(String.init).joined(separator: ", ")))") \
                ORDER BY id LIMIT \(Self.viewLimit)
                """, [.text(paymentID)])
            var references = Set(ledger.compactMap { try? $0.string(1) })
            references.insert(paymentID)
            for session in sessions {
                if let external = try session.optionalString(3) { references.insert(external) }
                references.insert(try session.string(1))
            }
            let items = try Self.items(referencing: references, connection)
            guard !(ledger.isEmpty && sessions.isEmpty && items.isEmpty) else { return nil }
            return try Self.view(
                ledger: ledger, sessions: sessions, items: items, references: references, actionTargets: references,
                connection)
        }
    }

    /// Everything about one customer: their ledger rows and sessions (newest first), the events that name those
    /// payments and sessions, and the operator items and actions about them.
    public func view(uid: String) throws(LedgerError) -> [RecordSet] {
        try database.run { connection in
            let ledger = try connection.query(
                "SELECT \(Self.ledgerColumns) FROM tn_payments WHERE uid = ? ORDER BY id DESC LIMIT \(Self.viewLimit)",
                [.text(uid)])
            let sessions = try connection.query(
                """
                SELECT \(Self.sessionColumns) FROM payment_sessions WHERE uid = ? ORDER BY id DESC \
                LIMIT \(Self.viewLimit)
                """, [.text(uid)])
            var references = Set(ledger.compactMap { try? $0.string(1) })
            for session in sessions {
                if let external = try session.optionalString(3) { references.insert(external) }
                references.insert(try session.string(1))
            }
            return try Self.view(
                ledger: ledger, sessions: sessions, items: try Self.items(referencing: references, connection),
                references: references, actionTargets: references.union([uid]), connection)
        }
    }

    /// The five tables of a view; events are searched from the oldest row or session shown.
    private static func view(
        ledger: [Row], sessions: [Row], items: [Row], references: Set<String>, actionTargets: Set<String>,
        _ connection: Connection
    ) throws -> [RecordSet] {
        let since = (ledger.compactMap { try? $0.unixSeconds(7) } + sessions.compactMap { try? $0.unixSeconds(8) })
            .min()
        return [
            RecordSet(title: "ledger rows", columns: names(ledgerColumns), rows: ledger),
            RecordSet(title: "sessions", columns: names(sessionColumns), rows: sessions),
            RecordSet(
                title: "webhook events", columns: names(eventColumns),
                rows: try events(naming: references, since: since, connection)),
            RecordSet(title: "operator items", columns: names(itemColumns), rows: items),
            RecordSet(
                title: "operator actions", columns: names(actionColumns),
                rows: try actions(on: actionTargets, connection)),
        ]
    }

    /// The column names a SELECT list gives its results (`expression AS name` gives `name`).
    private static func names(_ columns: String) -> [String] {
        columns.split(separator: ",").map { column in String(column.split(separator: " ").last ?? column) }
    }

    private static func items(referencing references: Set<String>, _ connection: Connection) throws -> [Row] {
        try rows(itemColumns, from: "operator_items", where: "reference", in: references, connection)
    }

    private static func actions(on targets: Set<String>, _ connection: Connection) throws -> [Row] {
        try rows(actionColumns, from: "operator_actions", where: "target", in: targets, connection)
    }

    /// `columns` of the rows of `table` whose `column` is one of `values`, oldest first.
    private static func rows(
        _ columns: String, from table: String, where column: String, in values: Set<String>, _ connection: Connection
    ) throws -> [Row] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        return try connection.query(
            """
            SELECT \(columns) FROM \(table) WHERE \(column) IN (\(placeholders(sorted.count))) \
            ORDER BY id LIMIT \(viewLimit)
            """, sorted.map { .text($0) })
    }

    /// Events received since the oldest row or session shown whose stored body names one of the references.
    ///
    /// Bodies are searched, not indexed (the hot path writes no extra index for this), so the search is bounded by
    /// `received_at` and by the number of references.
    private static func events(naming references: Set<String>, since: Int64?, _ connection: Connection) throws
        -> [Row]
    {
        guard let since, !references.isEmpty else { return [] }
        let sorted = Array(references.sorted().prefix(50))
        let matches = Array(repeating: "LOCATE(?, payload) > 0", count: sorted.count).joined(separator: " OR ")
        return try connection.query(
            """
            SELECT \(eventColumns) FROM webhook_events WHERE received_at >= FROM_UNIXTIME(?) - INTERVAL 1 DAY \
            AND (\(matches)) ORDER BY id LIMIT \(viewLimit)
            """, [.int(since)] + sorted.map { .bytes(Array($0.utf8)) })
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

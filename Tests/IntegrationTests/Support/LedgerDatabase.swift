import Foundation
import MariaDB
import PaymentsCore

/// One `tn_payments` row as the tests read it.
struct LedgerRow: Sendable, Equatable {
    let id: Int64
    let paymentID: String
    let uid: String
    let gateway: String
    let amount: Int64
    let isSynced: Bool
    let syncState: String
    let syncAttempts: Int64
    let sessionID: Int64?
    let refundOf: Int64?
    let createdAt: Int64
}

/// The sync bookkeeping of one `tn_payments` row.
struct SyncStatus: Sendable, Equatable {
    let state: String
    let isSynced: Bool
    let attempts: Int64
    /// `next_sync_at` has passed.
    let isDue: Bool
    /// `sync_claimed_until` is set.
    let isClaimed: Bool
    let lastError: String?
}

/// One `payment_sessions` row.
struct SessionRow: Sendable, Equatable {
    let id: Int64
    let publicID: String
    let gateway: String
    let externalID: String?
    let uid: String
    let amount: Int64
    let currency: String
    let status: String
}

/// Direct reads (and a few set-up updates) of the test stack's ledger through the MariaDB wrapper.
///
/// Each call opens its own short connection, so helpers can be used from any thread the test runs on.
struct LedgerDatabase: Sendable {
    let env: TestEnvironment

    /// `mysql_library_init` once per process, before the first connection.
    /// (A failure shows again as the first connection's error, so its result is not needed here.)
    private static let library: Bool = {
        initialize(MariaDBLibrary.initialize)
        return true
    }()

    private static func initialize(_ call: () throws -> Void) { try? call() }
    private static func initialize(_ call: () -> Bool) { _ = call() }

    /// Runs `body` on a fresh connection.
    func with<T>(_ body: (Connection) throws -> T) throws -> T {
        _ = LedgerDatabase.library
        let connection = try Connection(
            options: ConnectionOptions(
                endpoint: .socket(env.dbSocket), user: env.dbUser, password: env.dbPassword, database: env.dbName,
                connectTimeoutSeconds: 5, readTimeoutSeconds: 30, writeTimeoutSeconds: 30, lockWaitTimeoutSeconds: 10))
        defer { connection.close() }
        return try body(connection)
    }

    func query(_ sql: String, _ binds: [SQLValue] = []) throws -> [Row] {
        try with { try $0.query(sql, binds) }
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue] = []) throws -> ExecuteResult {
        try with { try $0.execute(sql, binds) }
    }

    func count(_ sql: String, _ binds: [SQLValue] = []) throws -> Int64 {
        try query(sql, binds).first?.int64(0) ?? 0
    }

    // MARK: - tn_payments

    private static let ledgerColumns =
        "id, payment_id, uid, gateway, amount, is_synced, sync_state, sync_attempts, session_id, refund_of, created_at"

    private static func ledgerRow(_ row: Row) throws -> LedgerRow {
        LedgerRow(
            id: try row.int64(0), paymentID: try row.string(1), uid: try row.string(2), gateway: try row.string(3),
            amount: try row.int64(4), isSynced: try row.bool(5), syncState: try row.string(6),
            syncAttempts: try row.int64(7),
            sessionID: try row.optionalInt64(8), refundOf: try row.optionalInt64(9), createdAt: try row.unixSeconds(10))
    }

    /// All ledger rows of a uid, oldest first.
    func ledgerRows(uid: String) throws -> [LedgerRow] {
        try query("SELECT \(LedgerDatabase.ledgerColumns) FROM tn_payments WHERE uid = ? ORDER BY id", [.text(uid)])
            .map(LedgerDatabase.ledgerRow)
    }

    /// The ledger row with this `payment_id`, if any.
    func ledgerRow(paymentID: String) throws -> LedgerRow? {
        try query("SELECT \(LedgerDatabase.ledgerColumns) FROM tn_payments WHERE payment_id = ?", [.text(paymentID)])
            .first.map(LedgerDatabase.ledgerRow)
    }

    func ledgerCount(paymentID: String) throws -> Int64 {
        try count("SELECT COUNT(*) FROM tn_payments WHERE payment_id = ?", [.text(paymentID)])
    }

    func ledgerCount(uid: String) throws -> Int64 {
        try count("SELECT COUNT(*) FROM tn_payments WHERE uid = ?", [.text(uid)])
    }

    /// The sync bookkeeping of the row with this `payment_id`, if any.
    func syncStatus(paymentID: String) throws -> SyncStatus? {
        guard
            let row = try query(
                "SELECT sync_state, is_synced, sync_attempts, next_sync_at <= UTC_TIMESTAMP(6), "
                    + "sync_claimed_until IS NOT NULL, last_sync_error FROM tn_payments WHERE payment_id = ?",
                [.text(paymentID)]
            ).first
        else { return nil }
        return SyncStatus(
            state: try row.string(0), isSynced: try row.bool(1), attempts: try row.int64(2), isDue: try row.bool(3),
            isClaimed: try row.bool(4), lastError: try row.optionalString(5))
    }

    /// Every row of every table but `schema_migrations`, for checks that nothing changed.
    func snapshot() throws -> [String: [[SQLValue]]] {
        var tables: [String: [[SQLValue]]] = [:]
        for table in ["tn_payments", "payment_sessions", "webhook_events", "operator_items"] {
            tables[table] = try query("SELECT * FROM \(table) ORDER BY id").map(\.values)
        }
        return tables
    }

    /// Makes the rows of a uid due for `payments-sync run` (rows wait 30 s after creation otherwise).
    func makeRowsDue(uid: String) throws {
        try execute(
            "UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND, sync_claimed_until = NULL "
                + "WHERE uid = ? AND sync_state = 'pending'", [.text(uid)])
    }

    /// Kills every other connection of the stack's database user (the responder's workers and pushers) and answers
    /// how many: their next statement fails as after a lost connection. For private stacks only.
    func killOtherConnections() throws -> Int {
        try with { connection in
            let ids = try connection.query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER = ?",
                [.text(env.dbUser)]
            ).map { try $0.int64(0) }
            for id in ids { try connection.executeText("KILL CONNECTION \(id)") }
            return ids.count
        }
    }

    // MARK: - payment_sessions

    private static let sessionColumns = "id, public_id, gateway, external_id, uid, amount, currency, status"

    private static func sessionRow(_ row: Row) throws -> SessionRow {
        SessionRow(
            id: try row.int64(0), publicID: try row.string(1), gateway: try row.string(2),
            externalID: try row.optionalString(3),
            uid: try row.string(4), amount: try row.int64(5), currency: try row.string(6), status: try row.string(7))
    }

    func session(externalID: String, gateway: String = "stripe") throws -> SessionRow? {
        try query(
            "SELECT \(LedgerDatabase.sessionColumns) FROM payment_sessions WHERE gateway = ? AND external_id = ?",
            [.text(gateway), .text(externalID)]
        ).first.map(LedgerDatabase.sessionRow)
    }

    func sessions(uid: String) throws -> [SessionRow] {
        try query(
            "SELECT \(LedgerDatabase.sessionColumns) FROM payment_sessions WHERE uid = ? ORDER BY id", [.text(uid)]
        )
        .map(LedgerDatabase.sessionRow)
    }

    func sessionCount(uid: String) throws -> Int64 {
        try count("SELECT COUNT(*) FROM payment_sessions WHERE uid = ?", [.text(uid)])
    }

    /// Makes a session due for `payments-sync reconcile`.
    func makeSessionDue(sessionID: Int64) throws {
        try execute(
            "UPDATE payment_sessions SET next_reconcile_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND, "
                + "reconcile_claimed_until = NULL WHERE id = ?", [.int(sessionID)])
    }

    // MARK: - webhook_events and operator_items

    func webhookEventCount(eventID: String, gateway: String = "stripe") throws -> Int64 {
        try count(
            "SELECT COUNT(*) FROM webhook_events WHERE gateway = ? AND event_id = ?", [.text(gateway), .text(eventID)])
    }

    /// `event_type` and `outcome` of a recorded event.
    func webhookEvent(eventID: String, gateway: String = "stripe") throws -> (type: String, outcome: String)? {
        guard
            let row = try query(
                "SELECT event_type, outcome FROM webhook_events WHERE gateway = ? AND event_id = ?",
                [.text(gateway), .text(eventID)]
            ).first
        else { return nil }
        return (try row.string(0), try row.string(1))
    }

    /// The raw body and signature headers of a stored delivery: what an attacker holding one genuine delivery has.
    func webhookDelivery(eventID: String, gateway: String) throws -> (payload: [UInt8], headers: [(String, String)])? {
        guard
            let row = try query(
                "SELECT payload, headers FROM webhook_events WHERE gateway = ? AND event_id = ?",
                [.text(gateway), .text(eventID)]
            ).first,
            case let .object(members) = try JSONValue.parse(Array(try row.string(1).utf8))
        else { return nil }
        return (try row.bytes(0), members.compactMap { name, value in value.stringValue.map { (name, $0) } })
    }

    /// The `reason` of every operator item about `reference`, oldest first.
    func operatorItemReasons(reference: String) throws -> [String] {
        try query("SELECT reason FROM operator_items WHERE reference = ? ORDER BY id", [.text(reference)]).map {
            try $0.string(0)
        }
    }

    func operatorItemCount(references: [String]) throws -> Int64 {
        guard !references.isEmpty else { return 0 }
        let marks = Array(repeating: "?", count: references.count).joined(separator: ", ")
        return try count(
            "SELECT COUNT(*) FROM operator_items WHERE reference IN (\(marks))", references.map { .text($0) })
    }
}

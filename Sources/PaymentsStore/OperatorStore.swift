import Logging
import MariaDB
import PaymentsCore

/// What operator commands read and change: operator items, the audit of operator actions and the views of a payment
/// or a customer (`payments-sync items`, `show`).
///
/// Every change an operator makes is written together with its `operator_actions` row, in one transaction, so the
/// audit never misses an action that took effect. Not Sendable: one thread uses it at a time.
public final class OperatorStore {
    let database: DatabaseSession

    /// Nothing is opened until the first call.
    public init(configuration: DatabaseConfiguration, logger: Logger? = nil) {
        database = DatabaseSession(options: configuration.connectionOptions, logger: logger)
    }

    public func close() { database.drop() }

    /// An `operator_items` row.
    public struct Item: Sendable, Equatable {
        public var id: Int64
        public var gateway: String
        public var reference: String
        public var reason: String
        public var payload: String
        /// Unix seconds.
        public var createdAt: Int64
        public var resolvedAt: Int64?
        public var resolutionNote: String?
    }

    /// How `resolve` ended.
    public enum Resolution: String, Sendable {
        case resolved
        case alreadyResolved = "already-resolved"
        case notFound = "not-found"
    }

    /// Operator items, oldest first: the open ones, or all of them with `includeResolved`.
    public func items(includeResolved: Bool, limit: Int) throws(LedgerError) -> [Item] {
        try database.run { connection in
            try connection.query(
                """
                SELECT id, gateway, reference, reason, payload, created_at, resolved_at, resolution_note \
                FROM operator_items \(includeResolved ? "" : "WHERE resolved_at IS NULL ") ORDER BY id LIMIT ?
                """, [SQLValue(max(0, limit))]
            ).map { row in
                Item(
                    id: try row.int64(0), gateway: try row.string(1), reference: try row.string(2),
                    reason: try row.string(3), payload: try row.string(4), createdAt: try row.unixSeconds(5),
                    resolvedAt: try row.optionalUnixSeconds(6), resolutionNote: try row.optionalString(7))
            }
        }
    }

    /// Marks an open item resolved with the operator's note, and records the action with its result, in one
    /// transaction. An item already resolved keeps its first note; the attempt is still recorded.
    public func resolve(itemID: Int64, note: String, osUser: String) throws(LedgerError) -> Resolution {
        try database.transaction { connection throws -> TransactionEnd<Resolution> in
            let changed = try connection.execute(
                """
                UPDATE operator_items SET resolved_at = UTC_TIMESTAMP(6), resolution_note = ? \
                WHERE id = ? AND resolved_at IS NULL
                """, [.text(note), .int(itemID)]
            ).affectedRows
            let resolution: Resolution
            if changed == 1 {
                resolution = .resolved
            } else {
                let exists = try connection.queryOne("SELECT 1 FROM operator_items WHERE id = ?", [.int(itemID)])
                resolution = exists == nil ? .notFound : .alreadyResolved
            }
            try Self.insert(
                OperatorAction(
                    action: "items-resolve", target: String(itemID), osUser: osUser, reason: note,
                    result: resolution.rawValue), connection)
            return .commit(resolution)
        }
    }

    /// Records an action whose effect happened elsewhere (a `requeue`, a gateway refund).
    public func record(_ action: OperatorAction) throws(LedgerError) {
        try database.run { connection in try Self.insert(action, connection) }
    }

    /// Recorded actions on `target` (all targets when nil), newest first.
    public func actions(target: String?, limit: Int) throws(LedgerError) -> [OperatorAction] {
        try database.run { connection in
            try connection.query(
                """
                SELECT action, target, os_user, reason, result FROM operator_actions \
                \(target == nil ? "" : "WHERE target = ? ") ORDER BY id DESC LIMIT ?
                """, (target.map { [SQLValue.text($0)] } ?? []) + [SQLValue(max(0, limit))]
            ).map { row in
                OperatorAction(
                    action: try row.string(0), target: try row.string(1), osUser: try row.string(2),
                    reason: try row.optionalString(3), result: try row.string(4))
            }
        }
    }

    static func insert(_ action: OperatorAction, _ connection: Connection) throws(MariaDBError) {
        try connection.execute(
            """
            INSERT INTO operator_actions (action, target, os_user, reason, result, created_at) \
            VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
            """,
            [
                .text(String(action.action.prefix(64))), .text(String(action.target.prefix(255))),
                .text(String(action.osUser.prefix(128))), SQLValue(action.reason.map { String($0.prefix(1024)) }),
                .text(String(action.result.prefix(1024))),
            ])
    }
}

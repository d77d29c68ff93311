import MariaDB
import PaymentsCore

/// Column lists and row decoders shared by the stores, so every SELECT of a table reads the same shape.
enum RowDecoding {
    /// Columns of `payment_sessions` in the order `session(from:)` reads them.
    static let sessionColumns =
        "id, public_id, gateway, external_id, uid, amount, currency, status, created_at, reconcile_attempts"

    /// Columns of `tn_payments` in the order `entry(from:)` reads them.
    static let entryColumns = "id, payment_id, uid, gateway, amount, session_id, refund_of, is_synced, created_at"

    static func session(from row: Row) throws -> PaymentSession {
        let statusText = try row.string(7)
        guard let status = SessionStatus(rawValue: statusText) else {
            throw LedgerError(.failed, "payment_sessions.status has an unknown value")
        }
        return PaymentSession(
            id: try row.int64(0), publicID: try row.string(1), gateway: try row.string(2),
            externalID: try row.optionalString(3), uid: try row.string(4), amount: Money(cents: try row.int64(5)),
            currency: try row.string(6), status: status, createdAt: try row.unixSeconds(8),
            reconcileAttempts: try row.int(9))
    }

    static func entry(from row: Row) throws -> StoredLedgerEntry {
        StoredLedgerEntry(
            id: try row.int64(0), paymentID: try row.string(1), uid: try row.string(2), gateway: try row.string(3),
            amount: Money(cents: try row.int64(4)), sessionID: try row.optionalInt64(5),
            refundOf: try row.optionalInt64(6), isSynced: try row.bool(7), createdAt: try row.unixSeconds(8))
    }
}

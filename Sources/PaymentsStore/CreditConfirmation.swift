import MariaDB
import PaymentsCore

/// A confirmation of the commonest shape (the event, one credit, at most one session update, no operator item),
/// applied in one round trip by the `tn_confirm_credit` procedure (`sql/0007`) instead of six statements.
///
/// The procedure is the statement-by-statement path of `MariaDBLedger.apply` written once more on the server, so the
/// ledger contract tests hold for both; the results it answers map onto the same `LedgerOutcome`.
struct CreditConfirmation {
    let event: WebhookEventRecord
    let entry: LedgerEntry
    let sessionUpdate: (sessionID: Int64, status: SessionStatus)?

    /// Nil when `effect` has another shape (it then takes the general path).
    init?(_ effect: LedgerEffect) {
        guard let event = effect.event, effect.entries.count == 1, let entry = effect.entries.first,
            entry.refundOf == nil, effect.sessionUpdates.count <= 1, effect.operatorItems.isEmpty
        else { return nil }
        self.event = event
        self.entry = entry
        self.sessionUpdate = effect.sessionUpdates.first
    }

    static let sql = "CALL tn_confirm_credit(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    func apply(_ connection: Connection, claim: PushClaim?) throws -> LedgerOutcome {
        let rows = try connection.call(
            Self.sql,
            [
                .text(event.gateway), .text(event.eventID), .text(event.eventType), .bytes(event.payload),
                .text(event.headersJSON), .text(String(event.outcome.prefix(64))),
                .text(entry.paymentID), .text(entry.uid), .text(entry.gateway), .int(entry.amount.cents),
                SQLValue(entry.sessionID),
                claim == nil ? .null : SQLValue(PushClaim.leaseSeconds), SQLValue(claim?.token),
                SQLValue(sessionUpdate?.sessionID), SQLValue(sessionUpdate?.status.rawValue),
            ])
        guard let row = rows.first else { throw LedgerError(.failed, "tn_confirm_credit answered no row") }
        switch try row.string(0) {
        case "inserted":
            return LedgerOutcome(insertedRows: [InsertedRow(entry, id: try row.int64(1), claim: claim)])
        case "duplicate-event":
            return LedgerOutcome(duplicateEvent: true)
        case "already-present":
            return LedgerOutcome(alreadyPresent: [entry.paymentID])
        case "second-payment":
            return LedgerOutcome(secondPayments: [entry.paymentID])
        case "integrity":
            throw LedgerError(
                .integrity, "payment_id \(entry.paymentID) is stored with another gateway, uid or amount")
        case let other:
            throw LedgerError(.failed, "tn_confirm_credit answered '\(other)'")
        }
    }
}

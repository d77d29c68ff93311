import MariaDB
import PaymentsCore

/// A confirmation of the commonest shape (the event, one credit, at most one session update, no operator item),
/// applied in one round trip by the `tn_confirm_credit` procedure (`sql/0007`, `sql/0009`) instead of six statements,
/// or together with others by `tn_confirm_credits` (`CreditBatch`).
///
/// The procedure is the statement-by-statement path of `MariaDBLedger.apply` written once more on the server, so the
/// ledger contract tests hold for both; the answers it gives map onto the same `LedgerOutcome`.
public struct CreditConfirmation: Sendable {
    let event: WebhookEventRecord
    let entry: LedgerEntry
    let sessionUpdate: (sessionID: Int64, status: SessionStatus)?
    /// Written with the row when the caller pushes it at once; taken before the transaction (see `PushClaim`).
    let claim: PushClaim?
    /// For a `NamedSessionCredit`: the session the batch reads, locks and checks by this reference, whose id then
    /// goes into the row and whose status moves to `paid` (`entry.sessionID` and `sessionUpdate` are nil). Such a
    /// credit is only ever written by `CreditBatchInsert`; when it cannot be, its answer is an empty outcome.
    let named: SessionReference?

    /// Nil when `effect` has another shape (it then takes the general path).
    init?(_ effect: LedgerEffect, claim: PushClaim?) {
        guard let event = effect.event, effect.entries.count == 1, let entry = effect.entries.first,
            entry.refundOf == nil, effect.sessionUpdates.count <= 1, effect.operatorItems.isEmpty
        else { return nil }
        self.event = event
        self.entry = entry
        self.sessionUpdate = effect.sessionUpdates.first
        self.claim = claim
        self.named = nil
    }

    /// A named credit, its session still to be found.
    init(_ credit: NamedSessionCredit, claim: PushClaim?) {
        event = credit.event
        entry = credit.entry(sessionID: nil)
        sessionUpdate = nil
        self.claim = claim
        named = credit.session
    }

    static let sql = "CALL tn_confirm_credit(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// The procedure's 15 parameters, in order (`tn_confirm_credits` takes the same values packed).
    var parameters: [SQLValue] {
        [
            .text(event.gateway), .text(event.eventID), .text(event.eventType), .bytes(event.payload),
            .text(event.headersJSON), .text(String(event.outcome.prefix(64))),
            .text(entry.paymentID), .text(entry.uid), .text(entry.gateway), .int(entry.amount.cents),
            SQLValue(entry.sessionID),
            claim == nil ? .null : SQLValue(PushClaim.leaseSeconds), SQLValue(claim?.token),
            SQLValue(sessionUpdate?.sessionID), SQLValue(sessionUpdate?.status.rawValue),
        ]
    }

    /// An upper estimate of this credit's packed size in `tn_confirm_credits`' parameter, for splitting batches.
    var packedSizeEstimate: Int {
        event.payload.count + event.headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 8 }
            + event.eventID.utf8.count + entry.paymentID.utf8.count + entry.uid.utf8.count + 512
    }

    /// Confirms this credit alone, in its own transaction.
    func apply(_ connection: Connection) throws -> LedgerOutcome {
        let rows = try connection.call(Self.sql, parameters)
        guard let row = rows.first else { throw LedgerError(.failed, "tn_confirm_credit answered no row") }
        let answer = try row.string(0)
        return try outcome(answer: answer, rowID: answer == "inserted" ? try row.int64(1) : nil)
    }

    /// Maps the procedure's answer (`tn_confirm_credit_step`'s, see sql/0009) onto the outcome the statement path
    /// gives for the same effect.
    /// - Parameter sessionID: the session a named credit was written for.
    func outcome(answer: String, rowID: Int64?, sessionID: Int64? = nil) throws(LedgerError) -> LedgerOutcome {
        switch answer {
        case "inserted":
            guard let rowID else { throw LedgerError(.failed, "tn_confirm_credit inserted a row without an id") }
            var entry = entry
            if let sessionID { entry.sessionID = sessionID }
            return LedgerOutcome(insertedRows: [InsertedRow(entry, id: rowID, claim: claim)])
        case "duplicate-event":
            return LedgerOutcome(duplicateEvent: true)
        case "already-present":
            return LedgerOutcome(alreadyPresent: [entry.paymentID])
        case "second-payment":
            return LedgerOutcome(secondPayments: [entry.paymentID])
        case "integrity":
            throw LedgerError(
                .integrity, "payment_id \(entry.paymentID) is stored with another gateway, uid or amount")
        default:
            throw LedgerError(.failed, "tn_confirm_credit answered '\(answer)'")
        }
    }
}

/// One change of a payment session the apps hear about on its event channel (issue 12): a status change, or a
/// ledger row (credit, refund) booked for it.
///
/// Recorded by `PublishingLedger` after the ledger call returned (the transaction committed) and published once the
/// answer is out; `SessionEventMessage` turns it into the JSON the subscribers get.
public struct SessionChange: Sendable, Equatable {
    /// The session's row id (`payment_sessions.id`); the message carries its `public_id`.
    public var sessionID: Int64
    /// The status the change set; nil for a row booked without a status change (the message shows the session's
    /// status as read when it is published).
    public var status: SessionStatus?
    /// The row's `payment_id`, for a ledger row.
    public var paymentID: String?
    /// The row's signed amount, for a ledger row; nil: the message shows the session's amount.
    public var amount: Money?
    /// Unix seconds of the commit (as the recorder saw it).
    public var at: Int64

    public init(sessionID: Int64, status: SessionStatus?, paymentID: String? = nil, amount: Money? = nil, at: Int64) {
        self.sessionID = sessionID
        self.status = status
        self.paymentID = paymentID
        self.amount = amount
        self.at = at
    }

    /// The changes one applied effect made: one per inserted row of a session (with the status the effect gave that
    /// session, if any), then one per session update no inserted row already reported.
    public static func changes(of effect: LedgerEffect, outcome: LedgerOutcome, at: Int64) -> [SessionChange] {
        guard !outcome.duplicateEvent else { return [] }
        var statuses: [Int64: SessionStatus] = [:]
        for update in effect.sessionUpdates { statuses[update.sessionID] = update.status }
        var changes: [SessionChange] = []
        var reported: Set<Int64> = []
        for row in outcome.insertedRows {
            guard let sessionID = effect.entries.first(where: { $0.paymentID == row.paymentID })?.sessionID else {
                continue
            }
            changes.append(
                SessionChange(
                    sessionID: sessionID, status: statuses[sessionID], paymentID: row.paymentID, amount: row.amount,
                    at: at))
            reported.insert(sessionID)
        }
        for update in effect.sessionUpdates where !reported.contains(update.sessionID) {
            changes.append(SessionChange(sessionID: update.sessionID, status: update.status, at: at))
            reported.insert(update.sessionID)
        }
        return changes
    }
}

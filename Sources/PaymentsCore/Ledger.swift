/// The money store every handler writes through; one instance per worker thread (it owns a connection).
///
/// Implementations retry deadlocks (1213) and lock-wait timeouts (1205) up to 3 times, never replay a COMMIT
/// whose outcome is unknown, and throw `LedgerError` with `.unavailable` when the database is gone (the next
/// call reconnects).
public protocol Ledger: AnyObject {
    /// Step (a) of DESIGN §1.1: a committed `creating` session with a fresh random `public_id`.
    func createSession(gateway: String, uid: String, amount: Money, currency: String) throws -> PaymentSession

    /// Step (c): stores the gateway's id and moves `creating` to `pending` (or the given status).
    func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws

    /// Sets a session's status outside a confirmation (failed creation, reconciliation closing it).
    func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws

    func session(publicID: String) throws -> PaymentSession?
    func session(gateway: String, externalID: String) throws -> PaymentSession?

    /// Applies one confirmation atomically (event row, ledger rows, session updates, operator items) and returns
    /// what it wrote.
    ///
    /// - Parameters:
    ///   - effect: everything the confirmation changes.
    ///   - claimingCreditsForPush: write the credits it inserts (rows without `refundOf`) already claimed for the
    ///     immediate Retail push, in the same transaction, and return them with their `PushClaim`; refunds and
    ///     other adjustments are always written unclaimed. Only a caller that hands the rows to a push queue with
    ///     room passes true (the settlement engine of a request); a claim nobody pushes under keeps the row from
    ///     `payments-sync` until its lease ends.
    /// - Returns: the rows inserted now (none for a duplicate event or rows already present), `alreadyPresent`
    ///   and `overRefunds`.
    func apply(_ effect: LedgerEffect, claimingCreditsForPush: Bool) throws -> LedgerOutcome

    /// Books `credit` with its event in one transaction, if its session is as the credit needs (`NamedSessionCredit`).
    /// - Returns: what was written (the effect with the session's id, and its outcome), or nil when nothing was: the
    ///   session is not as the credit needs, the event is recorded already, or this ledger does not book named
    ///   credits. The caller then reads the session and settles as usual.
    func apply(_ credit: NamedSessionCredit, claimingCreditsForPush: Bool) throws -> (
        effect: LedgerEffect, outcome: LedgerOutcome
    )?

    /// Whether an event id has been processed (a fast path only; `apply` is the authority).
    func eventExists(gateway: String, eventID: String) throws -> Bool

    func entry(paymentID: String) throws -> StoredLedgerEntry?

    /// The sum of negative rows taking back `paymentID` (a positive number of cents).
    func refundedTotal(of paymentID: String) throws -> Money

    /// One page of a uid's rows, newest first, and the total count.
    func transactions(uid: String, offset: Int, limit: Int) throws -> (rows: [StoredLedgerEntry], total: Int)

    /// Unsynced rows and the age in seconds of the oldest, for the metrics page.
    func syncBacklog() throws -> (unsynced: Int, oldestSeconds: Int)

    /// Cheap liveness check for `health`.
    func ping() throws
}

extension Ledger {
    /// Named credits are not booked here: the settlement engine reads the session and settles as usual.
    public func apply(_ credit: NamedSessionCredit, claimingCreditsForPush: Bool) throws -> (
        effect: LedgerEffect, outcome: LedgerOutcome
    )? { nil }

    /// Applies `effect` with every row written unclaimed (callers that do not push: `payments-sync`,
    /// reconciliation, tests).
    public func apply(_ effect: LedgerEffect) throws -> LedgerOutcome {
        try apply(effect, claimingCreditsForPush: false)
    }
}

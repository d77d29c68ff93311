import Foundation

/// A `Ledger` that notes every session change its calls committed in a `SessionEventLog`, so each path that moves a
/// session or books money for it (webhooks, status routes, reconciliation, operator commands) is published the same
/// way without knowing about it (issue 12).
///
/// Changes are recorded only after the wrapped call returned, that is after its transaction committed; a call that
/// throws records nothing, and a duplicate event records nothing. Used by one thread, like the ledger it wraps.
public final class PublishingLedger: Ledger {
    /// The ledger every call goes to.
    public let base: any Ledger
    /// Where committed changes go.
    public let log: SessionEventLog

    public init(_ base: any Ledger, log: SessionEventLog) {
        self.base = base
        self.log = log
    }

    private var now: Int64 { Int64(Date().timeIntervalSince1970) }

    public func createSession(gateway: String, uid: String, amount: Money, currency: String) throws -> PaymentSession {
        let session = try base.createSession(gateway: gateway, uid: uid, amount: amount, currency: currency)
        log.note(session)
        return session
    }

    public func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws {
        try base.attachExternalID(sessionID: sessionID, externalID: externalID, status: status)
        log.record([SessionChange(sessionID: sessionID, status: status, at: now)])
    }

    public func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws {
        try base.updateSessionStatus(sessionID: sessionID, status: status)
        log.record([SessionChange(sessionID: sessionID, status: status, at: now)])
    }

    public func session(publicID: String) throws -> PaymentSession? {
        let session = try base.session(publicID: publicID)
        log.note(session)
        return session
    }

    public func session(gateway: String, externalID: String) throws -> PaymentSession? {
        let session = try base.session(gateway: gateway, externalID: externalID)
        log.note(session)
        return session
    }

    public func apply(_ effect: LedgerEffect, claimingCreditsForPush: Bool) throws -> LedgerOutcome {
        let outcome = try base.apply(effect, claimingCreditsForPush: claimingCreditsForPush)
        log.record(SessionChange.changes(of: effect, outcome: outcome, at: now))
        return outcome
    }

    public func apply(_ credit: NamedSessionCredit, claimingCreditsForPush: Bool) throws -> (
        effect: LedgerEffect, outcome: LedgerOutcome
    )? {
        guard let booked = try base.apply(credit, claimingCreditsForPush: claimingCreditsForPush) else { return nil }
        for update in booked.effect.sessionUpdates { log.note(id: update.sessionID, publicID: credit.session.publicID) }
        log.record(SessionChange.changes(of: booked.effect, outcome: booked.outcome, at: now))
        return booked
    }

    public func eventExists(gateway: String, eventID: String) throws -> Bool {
        try base.eventExists(gateway: gateway, eventID: eventID)
    }

    public func entry(paymentID: String) throws -> StoredLedgerEntry? { try base.entry(paymentID: paymentID) }

    public func refundedTotal(of paymentID: String) throws -> Money { try base.refundedTotal(of: paymentID) }

    public func transactions(uid: String, offset: Int, limit: Int) throws -> (rows: [StoredLedgerEntry], total: Int) {
        try base.transactions(uid: uid, offset: offset, limit: limit)
    }

    public func syncBacklog() throws -> (unsynced: Int, oldestSeconds: Int) { try base.syncBacklog() }

    public func ping() throws { try base.ping() }
}

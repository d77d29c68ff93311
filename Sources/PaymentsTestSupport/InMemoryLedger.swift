import Foundation
import PaymentsCore
import Synchronization

/// A `Ledger` held in memory that keeps the same contract as `MariaDBLedger` (`LedgerContract` runs against both):
/// atomic effects, unique payment and event ids, the uid, gateway and cap checks on adjustments, the external-id
/// rules of sessions, and safe use from many threads at once.
///
/// Several ledgers may share one `InMemoryLedgerStore`, as several connections share one database. Failures can be
/// injected (`failNextApply`), so gateway tests can show what a handler answers when the database is gone or a
/// COMMIT's outcome is unknown.
public final class InMemoryLedger: Ledger, Sendable {
    public let store: InMemoryLedgerStore

    /// A ledger on a store of its own.
    public convenience init() { self.init(store: InMemoryLedgerStore()) }

    /// A ledger on `store`, shared with other ledgers (one per thread, like connections).
    public init(store: InMemoryLedgerStore) { self.store = store }

    // MARK: - test access (reads are snapshots; writes bypass the contract, for set-up only)

    public var sessions: [PaymentSession] {
        get { store.state.withLock { $0.sessions } }
        set { store.state.withLock { $0.sessions = newValue } }
    }

    public var rows: [StoredLedgerEntry] { store.state.withLock { $0.rows } }

    /// Recorded deliveries by `"<gateway>|<event id>"`.
    public var events: [String: WebhookEventRecord] {
        get { store.state.withLock { $0.events } }
        set { store.state.withLock { $0.events = newValue } }
    }

    public var operatorItems: [OperatorItem] { store.state.withLock { $0.operatorItems } }

    /// Makes the next `count` calls of `apply` fail with `kind`, as MariaDBLedger reports a lost connection
    /// (`.unavailable`), a COMMIT whose answer was lost (`.unknownOutcome`) or any other database error (`.failed`).
    ///
    /// - Parameter committed: for `.unknownOutcome`, whether the effect was in fact committed before the answer was
    ///   lost; every other failure leaves nothing behind.
    public func failNextApply(_ kind: LedgerError.Kind, committed: Bool = false, count: Int = 1) {
        store.state.withLock { state in
            state.injected += Array(repeating: .init(kind: kind, committed: committed), count: max(0, count))
        }
    }

    /// How many `apply` calls were made, failed ones included.
    public var applyCalls: Int { store.state.withLock { $0.applyCalls } }

    // MARK: - Ledger

    public func createSession(gateway: String, uid: String, amount: Money, currency: String) throws -> PaymentSession {
        store.state.withLock { state in
            let session = PaymentSession(
                id: state.takeID(), publicID: InMemoryLedgerStore.randomUUID(), gateway: gateway, externalID: nil,
                uid: uid, amount: amount, currency: currency, status: .creating, createdAt: InMemoryLedgerStore.now())
            state.sessions.append(session)
            return session
        }
    }

    /// Stores the gateway's id on a `creating` session without one; the same id again is a no-op; another id, a
    /// session that is no longer `creating`, or an id another session of the gateway holds is `.integrity`.
    public func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws {
        try store.state.withLock { state throws(LedgerError) in
            guard let index = state.sessions.firstIndex(where: { $0.id == sessionID }) else {
                throw LedgerError(.failed, "session \(sessionID) does not exist")
            }
            let session = state.sessions[index]
            if session.status == .creating && session.externalID == nil {
                let taken = state.sessions.contains {
                    $0.id != sessionID && $0.gateway == session.gateway && $0.externalID == externalID
                }
                if taken { throw LedgerError(.integrity, "external id is already attached to another session") }
                state.sessions[index].externalID = externalID
                state.sessions[index].status = status
                return
            }
            if session.externalID == externalID { return }
            throw LedgerError(
                .integrity,
                "session \(sessionID) is \(session.status.rawValue) with "
                    + "\(session.externalID == nil ? "no" : "another") external id")
        }
    }

    /// Sets the status of the session; an unknown session id changes nothing (an UPDATE of no row).
    public func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws {
        store.state.withLock { state in
            if let index = state.sessions.firstIndex(where: { $0.id == sessionID }) {
                state.sessions[index].status = status
            }
        }
    }

    public func session(publicID: String) throws -> PaymentSession? {
        store.state.withLock { $0.sessions.first { $0.publicID == publicID } }
    }

    public func session(gateway: String, externalID: String) throws -> PaymentSession? {
        store.state.withLock { $0.sessions.first { $0.gateway == gateway && $0.externalID == externalID } }
    }

    public func apply(_ effect: LedgerEffect, claimingCreditsForPush: Bool) throws -> LedgerOutcome {
        let claim = claimingCreditsForPush ? PushClaim.begin() : nil
        return try store.state.withLock { state throws(LedgerError) in try state.apply(effect, claim: claim) }
    }

    public func eventExists(gateway: String, eventID: String) throws -> Bool {
        store.state.withLock { $0.events[InMemoryLedgerStore.eventKey(gateway, eventID)] != nil }
    }

    public func entry(paymentID: String) throws -> StoredLedgerEntry? {
        store.state.withLock { $0.rows.first { $0.paymentID == paymentID } }
    }

    public func refundedTotal(of paymentID: String) throws -> Money {
        store.state.withLock { state in
            guard let original = state.rows.first(where: { $0.paymentID == paymentID }) else {
                return Money(cents: 0)
            }
            return Money(cents: Saturating.subtract(0, state.adjustments(of: original.id)))
        }
    }

    public func transactions(uid: String, offset: Int, limit: Int) throws -> (rows: [StoredLedgerEntry], total: Int) {
        store.state.withLock { state in
            let mine = state.rows.filter { $0.uid == uid }.sorted { $0.id > $1.id }
            return (Array(mine.dropFirst(max(0, offset)).prefix(max(0, limit))), mine.count)
        }
    }

    public func syncBacklog() throws -> (unsynced: Int, oldestSeconds: Int) {
        store.state.withLock { state in
            let unsynced = state.rows.filter { !$0.isSynced }
            let oldest = unsynced.map(\.createdAt).min().map { Int(max(0, InMemoryLedgerStore.now() - $0)) } ?? 0
            return (unsynced.count, oldest)
        }
    }

    public func ping() throws {}
}

/// The shared state behind one or more `InMemoryLedger`s, behind one lock: every call is atomic.
public final class InMemoryLedgerStore: Sendable {
    let state = Mutex(InMemoryLedgerState())

    public init() {}

    static func eventKey(_ gateway: String, _ eventID: String) -> String { "\(gateway)|\(eventID)" }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// A lowercase random version-4 UUID, as `payment_sessions.public_id` holds.
    static func randomUUID() -> String { UUID().uuidString.lowercased() }
}

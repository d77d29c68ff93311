import PaymentsCore
import Synchronization

/// One `Ledger` implementation under `LedgerContract`: a store of its own, fresh for each check, with the few
/// views and switches the checks need beyond the `Ledger` protocol.
public protocol LedgerContractSubject: AnyObject, Sendable {
    /// A new ledger on the subject's store (for MariaDB: its own connection), used by one thread at a time; every
    /// ledger made by one subject sees the others' committed writes.
    func makeLedger() throws -> any Ledger

    /// Every operator item stored, oldest first.
    func operatorItems() throws -> [OperatorItem]

    /// How many ledger rows and recorded events the store holds.
    func counts() throws -> (rows: Int, events: Int)

    /// The push claim token the row of `paymentID` carries (`sync_claim_token` under a set `sync_claimed_until`),
    /// nil when it is unclaimed or missing.
    func pushClaimToken(paymentID: String) throws -> Int64?

    /// Makes the next `apply` on any of the subject's ledgers fail with `kind` after it has written part of the
    /// effect (the event and the rows), the way the database fails in the middle of a transaction.
    ///
    /// - Parameter kind: `.unavailable` (the connection is lost) or `.failed` (the statement is refused).
    func failNextApply(_ kind: LedgerError.Kind) throws

    /// Called on a thread the contract starts, before it uses a ledger (MariaDB: `mysql_thread_init`).
    func threadStarted()

    /// Called on that thread when it is done.
    func threadEnded()
}

extension LedgerContractSubject {
    public func threadStarted() {}
    public func threadEnded() {}
}

/// The in-memory ledger as a contract subject.
public final class InMemoryLedgerSubject: LedgerContractSubject {
    public let store = InMemoryLedgerStore()

    public init() {}

    public func makeLedger() throws -> any Ledger { InMemoryLedger(store: store) }

    public func operatorItems() throws -> [OperatorItem] { store.state.withLock { $0.operatorItems } }

    public func counts() throws -> (rows: Int, events: Int) {
        store.state.withLock { ($0.rows.count, $0.events.count) }
    }

    public func pushClaimToken(paymentID: String) throws -> Int64? {
        store.state.withLock { state in
            state.rows.first { $0.paymentID == paymentID }.flatMap { state.pushClaims[$0.id] }
        }
    }

    public func failNextApply(_ kind: LedgerError.Kind) throws {
        InMemoryLedger(store: store).failNextApply(kind)
    }
}

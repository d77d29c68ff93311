import Dispatch
import Logging
import MariaDB
import PaymentsCore

/// The responder's MariaDB connections, lent to request threads one request at a time.
///
/// Why a pool and not a connection per thread: a webhook whose credit waits for its group-commit batch needs no
/// connection while it waits, so the responder can have more requests in flight than connections. More credits then
/// meet at each COMMIT, and MariaDB's work per credit falls (bench/README.md). The number of connections, and of
/// requests doing database work at once, stays `FCGI_WORKERS`.
///
/// A thread holds at most one session, and waits for a free one in arrival order. Nothing that holds a session waits
/// for a thread that lacks one, so the pool cannot deadlock: sessions come back when a request ends or when its credit
/// goes to the group commit (`MariaDBLedger.returnConnection`).
public final class DatabaseSessionPool: Sendable {
    /// Lends one session to one thread at a time.
    ///
    /// `@unchecked Sendable`: the session is used only by the thread it is lent to, between `acquire` and `release`;
    /// the pool's lock and semaphore order one borrower's last use before the next one's first.
    final class Slot: @unchecked Sendable {
        let session: DatabaseSession
        init(_ session: DatabaseSession) { self.session = session }
    }

    private let slots: [Slot]
    /// Indexes into `slots` of the sessions not lent now; the last returned is lent first (its caches are warm).
    private let free: Locked<[Int]>
    private let available: DispatchSemaphore

    /// - Parameter count: connections (each opened on first use), at least one.
    public init(configuration: DatabaseConfiguration, count: Int, logger: Logger? = nil) {
        let count = max(1, count)
        slots = (0..<count).map { _ in Slot(DatabaseSession(options: configuration.connectionOptions, logger: logger)) }
        free = Locked(Array(0..<count))
        available = DispatchSemaphore(value: count)
    }

    /// Waits for a free session and lends it to the calling thread until `release`.
    func acquire() -> Lease {
        available.wait()
        let index = free.withLock { $0.removeLast() }
        return Lease(index: index, session: slots[index].session)
    }

    /// Takes back a session lent by `acquire`; the thread must not use it afterwards.
    func release(_ lease: Lease) {
        free.withLock { $0.append(lease.index) }
        available.signal()
    }

    /// Closes every connection; only once no thread uses the pool any more (after the workers have stopped).
    public func closeAll() {
        MariaDBLibrary.threadInit()
        for slot in slots { slot.session.drop() }
        MariaDBLibrary.threadEnd()
    }

    /// A session lent to one thread.
    struct Lease {
        let index: Int
        let session: DatabaseSession
    }
}

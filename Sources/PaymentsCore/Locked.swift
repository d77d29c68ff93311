import Foundation

/// A value shared between threads behind a plain pthread mutex (`NSLock`): the responder's lock for shared state.
///
/// Why not `Synchronization.Mutex`: on Linux it is a priority-inheritance futex that spins up to a thousand times
/// before it sleeps, and its unlock hands the lock to the sleeping waiter, which still has to be scheduled. With more
/// request threads than cores (three per MariaDB connection) a lock taken a few times per request became a convoy:
/// about 13 % of payments-fcgi's CPU under load went to `_lockSlow` spinning on the push queue's lock (perf,
/// bench/README.md). A plain mutex puts a waiter to sleep at once and lets whichever thread runs take the lock next.
///
/// `@unchecked Sendable`: `value` is only read or written inside `withLock`, while the lock is held.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value; keep it short and never block inside it.
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure)
        -> Result
    {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

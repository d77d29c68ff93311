import Dispatch
import Foundation

/// A value shared between threads behind a plain pthread mutex, which threads can also wait on until it is ready for
/// them (`NSCondition`: the mutex and a condition variable): the responder's lock for shared state.
///
/// Why not `Synchronization.Mutex`: on Linux it is a priority-inheritance futex that spins up to a thousand times
/// before it sleeps, and its unlock hands the lock to the sleeping waiter, which still has to be scheduled. With more
/// request threads than cores (three per MariaDB connection) a lock taken a few times per request became a convoy:
/// about 13 % of payments-fcgi's CPU under load went to `_lockSlow` spinning on the push queue's lock (perf,
/// bench/README.md). A plain mutex puts a waiter to sleep at once and lets whichever thread runs take the lock next.
///
/// Why wait on the value rather than on a semaphore per item: a thread that takes several items at once (the Retail
/// push of a few rows) would leave their other signals behind, each a later wake-up that finds nothing. Waiting on
/// the value wakes a thread only when the value says there is something to do, and the signalling side decides
/// whether a thread needs waking at all.
///
/// `@unchecked Sendable`: `value` is only read or written inside `withLock`, while the lock is held.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSCondition()
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

    /// Waits, without the lock, until `isReady(value)` holds or the deadline passes, then runs `body` under the lock.
    /// - Parameters:
    ///   - isReady: checked under the lock before each wait and after each wake-up.
    ///   - deadline: read under the lock before each wait: nil waits for a `signal()` however long it takes; a
    ///     deadline already past runs `body` at once, ready or not (`body` checks the value again).
    public func withLock<Result>(
        when isReady: (Value) -> Bool, deadline: (Value) -> DispatchTime?, _ body: (inout Value) -> Result
    ) -> Result {
        lock.lock()
        defer { lock.unlock() }
        while !isReady(value) {
            guard let due = deadline(value) else {
                lock.wait()
                continue
            }
            let now = DispatchTime.now()
            guard due > now else { break }
            let seconds = Double(due.uptimeNanoseconds - now.uptimeNanoseconds) / 1e9
            _ = lock.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        return body(&value)
    }

    /// Wakes one thread waiting in `withLock(when:deadline:_:)`, if any; call it after making the value ready.
    public func signal() {
        lock.signal()
    }

    /// Wakes every waiting thread (shutdown).
    public func broadcast() {
        lock.broadcast()
    }
}

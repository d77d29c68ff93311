import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Serialises `accept()` across worker threads and remembers which thread is blocked in it, so shutdown can wake it.
///
/// libfcgi's own threaded example takes a mutex around `FCGX_Accept_r`: only one thread sleeps in `accept()` while the
/// others wait on the lock, which also keeps the wake-up during shutdown down to a single known thread.
final class AcceptGate: Sendable {
    /// What the shutdown path needs to see: the thread inside `accept()` (if any) and whether shutdown began.
    private struct State {
        var acceptingThread: pthread_t?
        var shuttingDown = false
    }

    /// Held across the whole `FCGX_Accept_r` call; a plain pthread mutex (NSLock) because the hold may be long.
    private let acceptLock = NSLock()
    private let state = Mutex(State())

    /// True once `beginShutdown()` ran.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Runs `body` (the blocking accept) holding the accept lock, with this thread recorded as the one to wake.
    ///
    /// - Returns: nil without calling `body` when shutdown already began, else `body`'s result.
    func withAcceptLock<Result>(_ body: () -> Result) -> Result? {
        acceptLock.lock()
        defer { acceptLock.unlock() }
        let entered = state.withLock { current -> Bool in
            guard !current.shuttingDown else { return false }
            current.acceptingThread = pthread_self()
            return true
        }
        guard entered else { return nil }
        let result = body()
        // Clearing under the state lock means `wakeAcceptingThread` can only signal a thread that is still between
        // entering and leaving accept(), never one that has moved on to serving a request.
        state.withLock { $0.acceptingThread = nil }
        return result
    }

    /// Flags shutdown so no thread enters `accept()` again.
    func beginShutdown() {
        state.withLock { $0.shuttingDown = true }
    }

    /// Sends SIGUSR1 to the thread blocked in `accept()`, if there is one; libfcgi's handler then makes accept return.
    ///
    /// - Returns: true when a thread was signalled.
    @discardableResult
    func wakeAcceptingThread() -> Bool {
        state.withLock { current -> Bool in
            guard let thread = current.acceptingThread else { return false }
            return pthread_kill(thread, SIGUSR1) == 0
        }
    }
}

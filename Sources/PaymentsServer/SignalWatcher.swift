import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Takes SIGTERM, SIGINT and SIGHUP on one dedicated thread with `sigwait`, as DESIGN §12 requires.
///
/// libfcgi only handles SIGPIPE and SIGUSR1 and re-enters `accept()` on EINTR, so these signals are blocked in every
/// thread (call `blockInCallingThread()` first thing in `main`, before any thread exists, so all threads inherit the
/// mask) and received synchronously here instead of by an asynchronous handler.
enum SignalWatcher {
    /// The signals taken by the watcher thread.
    static let watched: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks the watched signals in the calling thread; threads created afterwards inherit the mask.
    static func blockInCallingThread() {
        var set = signalSet()
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the watcher thread: SIGHUP is logged and ignored; the first SIGTERM or SIGINT calls `onStop` once and
    /// ends the thread.
    static func start(logger: Logger, onStop: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var set = signalSet()
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if received == SIGHUP {
                    logger.notice("SIGHUP ignored: configuration changes need a restart")
                    continue
                }
                logger.notice("stopping", metadata: ["signal": "\(received)"])
                onStop(received)
                return
            }
        }
        thread.name = "signals"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watched { sigaddset(&set, signal) }
        return set
    }
}

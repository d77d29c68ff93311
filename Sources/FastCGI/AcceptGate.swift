import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Serialises `accept()` across worker threads and lets shutdown end the wait for a connection without a signal.
///
/// The listening socket is non-blocking, so libfcgi's `accept()` never sleeps: the thread holding the gate waits in
/// `poll()` on the listening socket and on a wake pipe, and shutdown writes to the pipe. Shutdown never uses libfcgi's
/// own flag (`FCGX_ShutdownPending`) or interrupts a thread with a signal. In libfcgi 2.4.2, a connection closed as
/// "not a keeper" (no data within 2 s, or a signal during that wait) while that flag is set sends `OS_Accept` round
/// its loop with the closed descriptor's number: it polls and closes that number again and again, closing whatever
/// the process opened under it since, and never returns (the responder hung in shutdown that way).
final class AcceptGate: Sendable {
    /// Held while a thread waits for a connection and accepts it; a plain pthread mutex (NSLock): the hold may be long.
    private let acceptLock = NSLock()
    private let shuttingDown = Atomic<Bool>(false)
    /// Written once by `beginShutdown()` and never drained, so it stays readable for every later poll.
    private let wakeReader: Int32
    private let wakeWriter: Int32

    /// - Throws: `FastCGIError` when the wake pipe cannot be created (out of descriptors).
    init() throws(FastCGIError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw FastCGIError(operation: "pipe", code: -1, systemError: errno, detail: "accept wake pipe")
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        wakeReader = ends[0]
        wakeWriter = ends[1]
    }

    /// True once `beginShutdown()` ran.
    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// Runs `body` (the accept loop) holding the accept lock, so one thread at a time waits for a connection.
    func serialised<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        acceptLock.lock()
        defer { acceptLock.unlock() }
        return try body()
    }

    /// Waits until `listening` has a connection to accept or shutdown began; call it holding the gate.
    ///
    /// Returns at once when shutdown already began; a stray signal may also end the wait early.
    /// - Parameter listening: the listening descriptor.
    func waitForConnection(listening: Int32) {
        guard !isShuttingDown else { return }
        var watched = [
            pollfd(fd: listening, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&watched, nfds_t(watched.count), -1)
    }

    /// Flags shutdown and wakes the thread waiting for a connection; every later wait returns at once.
    ///
    /// Only sets a flag and writes a byte, so it may be called from any thread.
    func beginShutdown() {
        shuttingDown.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }

    /// Closes the wake pipe; call once no thread uses the gate any more.
    func close() {
        _ = Glibc.close(wakeReader)
        _ = Glibc.close(wakeWriter)
    }
}

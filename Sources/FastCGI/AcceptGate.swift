import CFastCGI
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where idle worker threads wait for work: one epoll instance on the listening socket (non-blocking, so libfcgi's
/// `accept()` never sleeps), on a wake pipe that shutdown writes to, and on every kept connection: one nginx asked to
/// keep (`fastcgi_keep_conn on`, the FCGI_KEEP_CONN flag) and on which it will send its next request. A worker parks
/// such a connection after answering, so an idle connection costs a descriptor, not a thread, and a request that
/// arrives on it is taken by whichever idle thread the kernel wakes. Without keep-alive nginx opens and closes a
/// connection per request: a socket, a connect, an accept and a close on each side.
///
/// Every idle thread waits in the epoll instance at once, without a lock: epoll wakes one waiter per report, and a
/// kept connection is armed for one report only, so exactly one thread takes it. (A lock that let one thread wait
/// at a time cost every request a hand-over: the next thread woken only to start waiting; bench/README.md,
/// "idle threads wait together".) The listening socket stays level-triggered: a new connection may wake more than one
/// thread, and those that find nothing to accept wait again; with kept connections new ones are rare.
///
/// Shutdown never uses libfcgi's own flag (`FCGX_ShutdownPending`) or interrupts a thread with a signal. In libfcgi
/// 2.4.2, a connection closed as "not a keeper" (no data within 2 s, or a signal during that wait) while that flag is
/// set sends `OS_Accept` round its loop with the closed descriptor's number: it polls and closes that number again and
/// again, closing whatever the process opened under it since, and never returns (the responder hung in shutdown that
/// way).
final class AcceptGate: Sendable {
    /// What the gate holder has to do next.
    enum Work: Equatable {
        /// Accept from the listening socket (it may turn out to have nothing: the caller then waits again).
        case listener
        /// Read the next request from this kept connection, which the caller now owns.
        case connection(Int32)
        /// Shutdown began: stop taking requests.
        case shutdown
    }

    private let shuttingDown = Atomic<Bool>(false)
    private let listening: Int32
    private let epoll: Int32
    /// Written once by `beginShutdown()` and never drained, so it stays readable for every later wait.
    private let wakeReader: Int32
    private let wakeWriter: Int32
    /// The kept connections armed in `epoll`, so shutdown can close them.
    private let parked: ParkedConnections

    /// - Parameter listening: the listening descriptor, already non-blocking.
    /// - Throws: `FastCGIError` when the wake pipe or the epoll instance cannot be created (out of descriptors).
    init(listening: Int32) throws(FastCGIError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw FastCGIError(operation: "pipe", code: -1, systemError: errno, detail: "accept wake pipe")
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0, cfastcgi_epoll_arm(epoll, listening, 0) == 0, cfastcgi_epoll_arm(epoll, ends[0], 0) == 0
        else {
            let error = FastCGIError(operation: "epoll", code: -1, systemError: errno, detail: "accept gate")
            if epoll >= 0 { _ = Glibc.close(epoll) }
            _ = Glibc.close(ends[0])
            _ = Glibc.close(ends[1])
            throw error
        }
        self.listening = listening
        self.epoll = epoll
        wakeReader = ends[0]
        wakeWriter = ends[1]
        parked = ParkedConnections(epoll: epoll)
    }

    /// True once `beginShutdown()` ran.
    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// Waits until nginx has something for this thread or shutdown began; any number of threads may wait at once.
    ///
    /// A stray signal ends the wait early as `.listener`: the accept then finds nothing and the caller waits again.
    func waitForWork() -> Work {
        while !isShuttingDown {
            let ready = cfastcgi_epoll_wait_one(epoll)
            if ready < 0 || ready == listening { return .listener }
            if ready == wakeReader { return .shutdown }
            // A connection shutdown closed a moment ago is no longer parked: wait again.
            if parked.take(ready) { return .connection(ready) }
        }
        return .shutdown
    }

    /// Keeps a connection nginx asked to keep until its next request (or its close) arrives; once shutdown began it is
    /// closed instead, so nginx sends later requests to a new connection (the next responder's, under systemd).
    func park(_ connection: Int32) {
        parked.park(connection, unless: shuttingDown)
    }

    /// Flags shutdown, wakes the thread waiting for work and closes the idle kept connections; every later wait
    /// returns at once.
    ///
    /// Safe from any thread.
    func beginShutdown() {
        shuttingDown.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
        parked.closeAll()
    }

    /// Closes the wake pipe and the epoll instance; call once no thread uses the gate any more.
    func close() {
        parked.closeAll()
        _ = Glibc.close(epoll)
        _ = Glibc.close(wakeReader)
        _ = Glibc.close(wakeWriter)
    }
}

/// The set of kept connections waiting in the gate's epoll instance, under one lock so that parking, taking and the
/// shutdown sweep never see a descriptor in two states (nor arm a number shutdown has just closed and reused).
private final class ParkedConnections: @unchecked Sendable {
    private let lock = NSLock()
    private let epoll: Int32
    private var descriptors: Set<Int32> = []

    init(epoll: Int32) {
        self.epoll = epoll
    }

    /// Arms `connection` for one report of its next request; closes it when `stopped` is set or arming fails.
    func park(_ connection: Int32, unless stopped: borrowing Atomic<Bool>) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped.load(ordering: .acquiring), cfastcgi_epoll_arm(epoll, connection, 1) == 0 else {
            _ = Glibc.close(connection)
            return
        }
        descriptors.insert(connection)
    }

    /// Hands a connection epoll reported to the caller; false when it is no longer parked.
    func take(_ connection: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return descriptors.remove(connection) != nil
    }

    /// Closes every parked connection (closing also removes it from epoll).
    func closeAll() {
        lock.lock()
        defer { lock.unlock() }
        for connection in descriptors { _ = Glibc.close(connection) }
        descriptors.removeAll()
    }
}

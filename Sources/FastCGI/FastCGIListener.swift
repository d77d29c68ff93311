import CFastCGI

#if canImport(Glibc)
    import Glibc
#endif

/// The listening socket nginx connects to, shared by every worker thread's `FastCGIRequest`.
///
/// Either created at a path (`FCGI_SOCKET`) or inherited from systemd socket activation (fd 3), so that a restart under
/// the `.socket` unit loses no connection. The descriptor is made non-blocking: the idle worker threads wait for
/// connections together in the accept gate's epoll instance, so shutdown can end the wait, and a thread woken for a
/// connection another took finds nothing to accept and waits again.
public final class FastCGIListener: Sendable {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let systemdFirstDescriptor: Int32 = 3

    /// The listening descriptor.
    public let descriptor: Int32
    /// The socket path this process created (removed again by `close()`); nil for an inherited descriptor.
    public let path: String?
    let gate: AcceptGate

    /// Makes `descriptor` non-blocking (an accepted connection does not inherit that on Linux) and close-on-exec.
    private init(descriptor: Int32, path: String?) throws(FastCGIError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw FastCGIError(
                operation: "fcntl", code: -1, systemError: errno, detail: "O_NONBLOCK on fd \(descriptor)")
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        gate = try AcceptGate(listening: descriptor)
        self.descriptor = descriptor
        self.path = path
    }

    /// Creates a unix socket at `path`, replacing a stale socket file left by an earlier run, and sets its mode.
    ///
    /// Call `FastCGILibrary.initialize()` first.
    /// - Parameters:
    ///   - path: the socket path; its directory must exist and be reachable by nginx's workers.
    ///   - mode: permission bits for the socket file, e.g. `0o660` (nginx must be able to write to it).
    ///   - backlog: the `listen()` backlog.
    /// - Returns: the listener.
    /// - Throws: `FastCGIError` naming the failed call (a non-socket file at `path` is never removed).
    public static func bind(path: String, mode: UInt32, backlog: Int32 = 1024) throws(FastCGIError) -> FastCGIListener {
        try removeStaleSocket(at: path)
        cfastcgi_clear_errno()
        let descriptor = FCGX_OpenSocket(path, backlog)
        guard descriptor >= 0 else {
            throw FastCGIError(
                operation: "FCGX_OpenSocket", code: descriptor, systemError: cfastcgi_errno(), detail: "at \(path)")
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            let error = FastCGIError(operation: "chmod", code: -1, systemError: errno, detail: "on \(path)")
            _ = Glibc.close(descriptor)
            _ = unlink(path)
            throw error
        }
        do {
            return try FastCGIListener(descriptor: descriptor, path: path)
        } catch {
            _ = Glibc.close(descriptor)
            _ = unlink(path)
            throw error
        }
    }

    /// Uses a descriptor that is already listening, e.g. fd 3 under systemd socket activation.
    ///
    /// - Parameter descriptor: an open, listening unix or TCP socket.
    /// - Returns: the listener; `close()` will not unlink anything.
    /// - Throws: `FastCGIError` when the descriptor is not an open socket.
    public static func inherited(descriptor: Int32) throws(FastCGIError) -> FastCGIListener {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FastCGIError(operation: "fstat", code: -1, systemError: errno, detail: "on fd \(descriptor)")
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIError(operation: "fstat", code: -1, systemError: ENOTSOCK, detail: "fd \(descriptor)")
        }
        return try FastCGIListener(descriptor: descriptor, path: nil)
    }

    /// The descriptor systemd passed, when the environment says exactly one was passed to this process.
    ///
    /// - Parameters:
    ///   - environment: the process environment (`LISTEN_FDS`, `LISTEN_PID`).
    ///   - processID: this process's id, compared with `LISTEN_PID` when that is set.
    /// - Returns: 3 when `LISTEN_FDS=1` (and `LISTEN_PID` is absent or ours), else nil.
    public static func systemdDescriptor(environment: [String: String], processID: Int32 = getpid()) -> Int32? {
        guard environment["LISTEN_FDS"] == "1" else { return nil }
        if let pid = environment["LISTEN_PID"], !pid.isEmpty, Int32(pid) != processID { return nil }
        return systemdFirstDescriptor
    }

    /// True once `beginShutdown()` ran: `FastCGIRequest.accept()` returns false from then on.
    public var isShuttingDown: Bool { gate.isShuttingDown }

    /// Stops accepting: the thread waiting for a connection returns at once, every later `accept()` returns false, and
    /// nginx's idle kept connections are closed.
    ///
    /// Requests already accepted are not affected; a thread that has just taken a connection off the socket serves it,
    /// then closes it. Safe from any thread.
    public func beginShutdown() {
        gate.beginShutdown()
    }

    /// Closes the descriptor and removes the socket file this process created; call once every worker has stopped.
    public func close() {
        gate.close()
        _ = Glibc.close(descriptor)
        if let path { _ = unlink(path) }
    }

    /// Removes `path` when it is a socket (left by a crashed run); refuses to touch any other kind of file.
    private static func removeStaleSocket(at path: String) throws(FastCGIError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIError(
                operation: "lstat", code: -1, systemError: EEXIST, detail: "\(path) exists and is not a socket")
        }
        guard unlink(path) == 0 else {
            throw FastCGIError(operation: "unlink", code: -1, systemError: errno, detail: "stale socket \(path)")
        }
    }
}

import Glibc

/// Thin, crash-free wrappers over the POSIX socket calls the sandbox uses.
enum SocketIO {
    /// Writes every byte (retrying on EINTR and short writes); false when the peer is gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            if written == 0 { return false }
            offset += written
        }
        return true
    }

    /// Reads what is available (blocking until something arrives) and appends it; false on EOF, error or timeout.
    /// `scratch` is a caller-owned read area reused across calls so a read costs one copy of what arrived.
    static func receive(_ fd: Int32, into buffer: inout [UInt8], scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = scratch.baseAddress else { return false }
        while true {
            let received = recv(fd, base, scratch.count, 0)
            if received < 0, errno == EINTR { continue }
            guard received > 0 else { return false }
            buffer.append(contentsOf: UnsafeRawBufferPointer(start: base, count: received))
            return true
        }
    }

    /// `receive` with a temporary read area, for one-off clients.
    static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { scratch.deallocate() }
        return receive(fd, into: &buffer, scratch: scratch)
    }

    /// Sets receive and send timeouts so idle or stuck peers release their thread.
    static func setTimeouts(_ fd: Int32, seconds: Int) {
        var interval = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, size)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, size)
    }

    /// Disables Nagle so small keep-alive answers leave at once.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The current errno as text.
    static func errorText() -> String {
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }

    /// Monotonic milliseconds, for request timing.
    static func monotonicMilliseconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1_000_000
    }

    /// Sleeps the calling thread.
    static func sleep(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    /// Unix seconds.
    static func now() -> Int64 { Int64(time(nil)) }
}

import PaymentsCore
import Signing

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/1.1 client connection over a non-blocking POSIX socket, plain or TLS (`TLSStream`), used by one thread
/// at a time.
///
/// Every wait is a `poll()` bounded by the request's deadline, so a silent peer can never hold the caller longer
/// than its timeout, TLS handshake included. `@unchecked Sendable`: the descriptor, TLS state and buffer are only
/// touched by the thread that took the connection out of `SocketHTTPTransport`'s idle pool (under its lock), so it is
/// never used by two threads at once.
final class HTTPConnection: @unchecked Sendable {
    /// A parsed response head: the status line read, the header lines kept as received.
    struct Head {
        var status: Int
        var minorVersion: Int
        var fields: HTTPHeaderFields
        /// The header lines as a dictionary (names lower-cased, repeated names joined with ", ").
        var headers: [String: String] { fields.dictionary }
    }

    /// Why an exchange failed, and whether the request may have reached the server.
    struct Failure: Error {
        let error: HTTPTransportError
        /// True when nothing of an answer arrived and the connection was a reused one: a stale keep-alive.
        let beforeAnswer: Bool
    }

    let descriptor: Int32
    /// The TLS session over the socket, for an `https://` origin.
    private var tls: TLSStream?
    /// True once the peer's end arrived without TLS's close notification: a body framed by the end of the
    /// connection cannot be trusted whole.
    private var endWasTruncated = false
    /// Uptime (seconds) when the connection was last returned to the pool.
    var idleSince: Double = 0
    /// Bytes read past the current response (none with a well-behaved HTTP/1.1 server).
    private var buffer: [UInt8] = []
    /// The request being sent: written afresh for each request, its storage kept across them.
    var outgoing: [UInt8] = []

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        tls = nil  // SSL_free before the descriptor it uses is closed
        close(descriptor)
    }

    /// Opens a connection to `host:port` (numeric or resolvable host), with a verified TLS session over it when
    /// `tls` is given, giving up at `deadline`.
    static func open(host: String, port: Int, tls: TLSContext?, deadline: Double) throws(HTTPTransportError)
        -> HTTPConnection
    {
        let connection = try openSocket(host: host, port: port, deadline: deadline)
        if let tls { try connection.startTLS(host: host, context: tls, deadline: deadline) }
        return connection
    }

    /// The handshake, each wait bounded by `deadline`; an untrusted certificate or name fails it.
    private func startTLS(host: String, context: TLSContext, deadline: Double) throws(HTTPTransportError) {
        let descriptor = descriptor
        let stream = try Self.reported { () throws(TLSError) in
            try TLSStream(connectingTo: host, context: context, descriptor: descriptor)
        }
        tls = stream
        while let next = try Self.reported({ () throws(TLSError) in try stream.handshake() }) {
            try wait(for: next, deadline: deadline)
        }
    }

    /// A TLS failure as the transport reports it: `.connection`, naming the reason.
    private static func reported<Value>(_ body: () throws(TLSError) -> Value) throws(HTTPTransportError) -> Value {
        do {
            return try body()
        } catch {
            throw HTTPTransportError(.connection, error.description)
        }
    }

    /// The TCP connection, each address `host` resolves to tried in turn.
    private static func openSocket(host: String, port: Int, deadline: Double) throws(HTTPTransportError)
        -> HTTPConnection
    {
        var lastError = HTTPTransportError(.connection, "connection refused")
        for address in try HostResolver.addresses(host: host, port: port, deadline: deadline) {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = HTTPConnection(descriptor: fd)
            let started = address.bytes.withUnsafeBytes { raw in
                connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if started == 0 { return connection }
            guard errno == EINPROGRESS else { continue }
            do {
                try connection.wait(for: Int16(POLLOUT), deadline: deadline)
            } catch {
                lastError = error
                if error.kind == .timeout { throw error }
                continue
            }
            var status: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &length) == 0 && status == 0 { return connection }
        }
        throw lastError
    }

    /// True when the idle connection can carry another request: nothing to read (no EOF, no stray bytes).
    ///
    /// Over TLS, bytes that arrive while idle may be the protocol's own (TLS 1.3 session tickets): they are read
    /// through the session, and only application data, a close notification or the end count against reuse.
    var isReusable: Bool {
        guard buffer.isEmpty else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) != 0 else { return tls.map { !$0.hasBufferedBytes } ?? true }
        guard let tls else { return false }
        var probe: UInt8 = 0
        let result = try? withUnsafeMutableBytes(of: &probe) { raw throws(TLSError) in try tls.read(into: raw) }
        return result == .wait(.readable)
    }

    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: [UInt8], deadline: Double) throws(HTTPTransportError) {
        if let tls { return try write(bytes, through: tls, deadline: deadline) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                try wait(for: Int16(POLLOUT), deadline: deadline)
            } else {
                throw HTTPTransportError(.connection, "send failed (errno \(errno))")
            }
        }
    }

    /// Writes all of `bytes` through the TLS session (a write that waits is repeated with the same bytes, as
    /// OpenSSL requires).
    private func write(_ bytes: [UInt8], through tls: TLSStream, deadline: Double) throws(HTTPTransportError) {
        var offset = 0
        while offset < bytes.count {
            let transfer = try Self.reported { () throws(TLSError) in
                try bytes.withUnsafeBytes { raw in
                    Result { () throws(TLSError) in try tls.write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
                }.get()
            }
            switch transfer {
            case .bytes(let count): offset += count
            case .wait(let next): try wait(for: next, deadline: deadline)
            case .closed, .truncated: throw HTTPTransportError(.connection, "the peer closed the connection")
            }
        }
    }

    /// Bytes read per `recv`; the scratch space is on the reading thread's stack, not kept by each pooled connection.
    static let readSize = 8 * 1024

    /// Reads more bytes into the buffer; returns false at EOF.
    private func fill(deadline: Double) throws(HTTPTransportError) -> Bool {
        if let tls { return try fill(through: tls, deadline: deadline) }
        while true {
            let count = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { scratch in
                let count = recv(descriptor, scratch.baseAddress, scratch.count, 0)
                if count > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<count])) }
                return count
            }
            if count > 0 { return true }
            if count == 0 { return false }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(for: Int16(POLLIN), deadline: deadline)
                continue
            }
            throw HTTPTransportError(.connection, "recv failed (errno \(errno))")
        }
    }

    /// Reads more decrypted bytes into the buffer; false at the session's end (`endWasTruncated` says how it ended).
    private func fill(through tls: TLSStream, deadline: Double) throws(HTTPTransportError) -> Bool {
        while true {
            let transfer = try Self.reported { () throws(TLSError) in
                try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.readSize) { scratch throws(TLSError) in
                    let transfer = try tls.read(into: UnsafeMutableRawBufferPointer(scratch))
                    if case .bytes(let count) = transfer {
                        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<count]))
                    }
                    return transfer
                }
            }
            switch transfer {
            case .bytes: return true
            case .wait(let next): try wait(for: next, deadline: deadline)
            case .closed: return false
            case .truncated:
                endWasTruncated = true
                return false
            }
        }
    }

    /// Waits until the socket is ready for what the TLS session asked for, or the deadline passes.
    private func wait(for next: TLSStream.Wait, deadline: Double) throws(HTTPTransportError) {
        try wait(for: next == .readable ? Int16(POLLIN) : Int16(POLLOUT), deadline: deadline)
    }

    /// Waits until the socket is ready for `events` or the deadline passes (`.timeout`).
    private func wait(for events: Int16, deadline: Double) throws(HTTPTransportError) {
        while true {
            let left = deadline - HTTPConnection.now()
            if left <= 0 { throw HTTPTransportError(.timeout, "no complete answer in time") }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left * 1000 + 1, 3_600_000)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw HTTPTransportError(.connection, "poll failed (errno \(errno))") }
        }
    }

    /// Reads one final response head (interim 1xx answers are skipped); `reused` marks a pooled connection.
    func readHead(deadline: Double, reused: Bool, limit: Int) throws(Failure) -> Head {
        var receivedAny = !buffer.isEmpty
        while true {
            var end: Int?
            while end == nil {
                end = HTTPConnection.headEnd(in: buffer)
                if end != nil { break }
                if buffer.count > 64 * 1024 {
                    throw Failure(error: HTTPTransportError(.tooLarge, "response head too large"), beforeAnswer: false)
                }
                let more: Bool
                do {
                    more = try fill(deadline: deadline)
                } catch {
                    throw Failure(error: error, beforeAnswer: reused && !receivedAny && error.kind == .connection)
                }
                if !more {
                    throw Failure(
                        error: HTTPTransportError(.connection, "connection closed before an answer"),
                        beforeAnswer: reused && !receivedAny)
                }
                receivedAny = true
            }
            guard let headLength = end,
                let head = HTTPConnection.parseHead(buffer[0..<headLength])
            else {
                throw Failure(error: HTTPTransportError(.connection, "malformed response head"), beforeAnswer: false)
            }
            buffer.removeFirst(headLength)
            if head.status >= 100 && head.status < 200 && head.status != 101 { continue }
            return head
        }
    }

    /// Reads exactly `length` body bytes.
    func readBody(length: Int, deadline: Double) throws(HTTPTransportError) -> [UInt8] {
        while buffer.count < length {
            if !(try fill(deadline: deadline)) { throw HTTPTransportError(.connection, "body ended early") }
        }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return body
    }

    /// Reads until the peer closes (a response framed by the end of the connection).
    func readToEnd(deadline: Double, limit: Int) throws(HTTPTransportError) -> [UInt8] {
        while try fill(deadline: deadline) {
            if buffer.count > limit { throw HTTPTransportError(.tooLarge, "answer larger than \(limit) bytes") }
        }
        if endWasTruncated {
            throw HTTPTransportError(.connection, "the TLS session ended without close_notify: the answer may be cut")
        }
        if buffer.count > limit { throw HTTPTransportError(.tooLarge, "answer larger than \(limit) bytes") }
        defer { buffer = [] }
        return buffer
    }

    /// Reads a `Transfer-Encoding: chunked` body, trailers included, refusing more than `limit` bytes.
    func readChunked(deadline: Double, limit: Int) throws(HTTPTransportError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine(deadline: deadline)
            let sizeText = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != UInt8(ascii: " ") }
            let isHexDigit: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
            guard !sizeText.isEmpty, sizeText.allSatisfy(isHexDigit) else {
                throw HTTPTransportError(.connection, "malformed chunk size")
            }
            // A size past Int is over any limit; the check subtracts so that no announced size can overflow it.
            let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16) ?? Int.max
            if size == 0 { break }
            if size > limit - body.count { throw HTTPTransportError(.tooLarge, "answer larger than \(limit) bytes") }
            body += try readBody(length: size, deadline: deadline)
            guard try readLine(deadline: deadline).isEmpty else {
                throw HTTPTransportError(.connection, "malformed chunk end")
            }
        }
        while !(try readLine(deadline: deadline)).isEmpty {}
        return body
    }

    /// One CRLF-terminated line, without the CRLF.
    private func readLine(deadline: Double) throws(HTTPTransportError) -> [UInt8] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[0..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if buffer.count > 8 * 1024 { throw HTTPTransportError(.connection, "line too long") }
            if !(try fill(deadline: deadline)) { throw HTTPTransportError(.connection, "body ended early") }
        }
    }

    /// The index just past the blank line that ends a head, if the buffer holds one.
    static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 3
        while index < bytes.count {
            if bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// Parses `HTTP/1.x NNN reason` and keeps the header lines after it (`HTTPHeaderFields`).
    ///
    /// Lines end at LF (a CR before it is dropped); blank lines before the status line are skipped. The header lines
    /// are only made into a dictionary when the answer's `headers` are read.
    static func parseHead(_ bytes: ArraySlice<UInt8>) -> Head? {
        var lineStart = bytes.startIndex
        while lineStart < bytes.endIndex {
            let newline = bytes[lineStart...].firstIndex(of: 10) ?? bytes.endIndex
            if newline == lineStart {
                lineStart = newline + 1
                continue
            }
            let line = bytes[newline - 1] == 13 ? bytes[lineStart..<(newline - 1)] : bytes[lineStart..<newline]
            guard let (status, minor) = parseStatusLine(line) else { return nil }
            let rest = bytes[min(newline + 1, bytes.endIndex)...]
            return Head(status: status, minorVersion: minor, fields: HTTPHeaderFields(lines: rest))
        }
        return nil
    }

    /// The status code and minor version of `HTTP/1.x NNN [reason]`, or nil.
    private static func parseStatusLine(_ line: ArraySlice<UInt8>) -> (status: Int, minor: Int)? {
        guard line.starts(with: "HTTP/1.".utf8) else { return nil }
        let space = UInt8(ascii: " ")
        guard let versionEnd = line.firstIndex(of: space) else { return nil }
        var codeStart = versionEnd
        while codeStart < line.endIndex && line[codeStart] == space { codeStart += 1 }
        let codeEnd = line[codeStart...].firstIndex(of: space) ?? line.endIndex
        guard codeStart < codeEnd, let status = Int(String(decoding: line[codeStart..<codeEnd], as: UTF8.self)),
            (100..<1000).contains(status)
        else { return nil }
        let version = line[..<versionEnd]
        let minor = version.count >= 3 && version.suffix(3).elementsEqual("1.0".utf8) ? 0 : 1
        return (status, minor)
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

import CFastCGI

#if canImport(Glibc)
    import Glibc
#endif

/// One worker thread's FastCGI request slot (`FCGX_Request`): accept, read params and body, answer, finish.
///
/// Owned by exactly one thread for its whole life, like the `FCGX_Request` in libfcgi's threaded example; it is
/// deliberately not `Sendable`. The C struct is allocated here and freed in `deinit`.
public final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>
    private let listener: FastCGIListener

    /// Prepares a request slot on `listener` (`FCGX_InitRequest`).
    ///
    /// - Parameter listener: the shared listening socket.
    /// - Throws: `FastCGIError` when libfcgi rejects the descriptor.
    public init(listener: FastCGIListener) throws(FastCGIError) {
        self.listener = listener
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        cfastcgi_clear_errno()
        let result = FCGX_InitRequest(request, listener.descriptor, Int32(FCGI_FAIL_ACCEPT_ON_INTR))
        guard result == 0 else {
            let error = FastCGIError(operation: "FCGX_InitRequest", code: result, systemError: cfastcgi_errno())
            request.deallocate()
            throw error
        }
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Waits for the next request, beside the other idle worker threads (`AcceptGate`): on a new connection, or on a
    /// connection nginx kept from an earlier request (`fastcgi_keep_conn on`).
    ///
    /// libfcgi's `accept()` runs on the non-blocking listening socket: "nothing to accept" (EAGAIN, or a connection
    /// that closed before its first record) sends this thread back to the gate's wait, which shutdown ends.
    /// - Returns: true when a request is ready; false once the listener is shutting down.
    /// - Throws: `FastCGIError` for an accept failure outside shutdown (the caller logs it and tries again).
    public func accept() throws(FastCGIError) -> Bool {
        let gate = listener.gate
        while true {
            var kept = false
            switch gate.waitForWork() {
            case .shutdown:
                return false
            case .listener:
                break
            case .connection(let descriptor):
                // FCGX_Accept_r reads the next request from the connection already in the slot. Marking the slot
                // as kept stops the FCGX_Finish_r it opens with from closing it.
                request.pointee.ipcFd = descriptor
                request.pointee.keepConnection = 1
                kept = true
            }
            cfastcgi_clear_errno()
            let result = FCGX_Accept_r(request)
            if result >= 0 {
                isOnKeptConnection = kept
                return true
            }
            let systemError = cfastcgi_errno()
            if Self.meansNothingToAccept(result: result, systemError: systemError) { continue }
            if gate.isShuttingDown { return false }
            throw FastCGIError(operation: "FCGX_Accept_r", code: result, systemError: systemError)
        }
    }

    /// Whether the request `accept()` returned came on a connection nginx kept from an earlier one (false: on a
    /// connection it opened for this request).
    public private(set) var isOnKeptConnection = false

    /// Whether a failed `FCGX_Accept_r` only found no connection ready (or was interrupted), rather than failing.
    static func meansNothingToAccept(result: Int32, systemError: Int32) -> Bool {
        func quiet(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK || code == EINTR }
        return quiet(-result) || quiet(systemError)
    }

    /// One CGI/FastCGI parameter of the current request (`REQUEST_METHOD`, `HTTP_STRIPE_SIGNATURE`, …).
    ///
    /// - Parameter name: the exact parameter name.
    /// - Returns: its value decoded as UTF-8, or nil when nginx did not send it.
    public func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// Every parameter of the current request, in the order nginx sent them.
    ///
    /// - Returns: name/value pairs; an entry without `=` is returned with an empty value.
    public func parameters() -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        guard var cursor = request.pointee.envp else { return result }
        while let entry = cursor.pointee {
            result.append(Self.parameter(entry: UnsafeRawBufferPointer(start: entry, count: strlen(entry))))
            cursor += 1
        }
        return result
    }

    /// The parameters `filter` keeps, in the order nginx sent them, the others skipped without decoding.
    ///
    /// A request carries some thirty parameters, of which the responder reads about half; only those become strings.
    /// - Returns: name/value pairs; an entry without `=` is returned with an empty value.
    public func parameters(keeping filter: FastCGIParameterFilter) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        guard var cursor = request.pointee.envp else { return result }
        result.reserveCapacity(32)
        while let entry = cursor.pointee {
            let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            let nameLength = bytes.firstIndex(of: UInt8(ascii: "=")) ?? bytes.count
            if filter.keeps(UnsafeRawBufferPointer(rebasing: bytes[..<nameLength])) {
                result.append(Self.parameter(entry: bytes))
            }
            cursor += 1
        }
        return result
    }

    /// Splits one `NAME=VALUE` entry of libfcgi's parameter list at its first `=`, each side decoded as UTF-8.
    ///
    /// - Parameter entry: the entry's bytes, without the terminating NUL.
    /// - Returns: the name and value; an entry without `=` is all name, with an empty value.
    public static func parameter(entry bytes: UnsafeRawBufferPointer) -> (name: String, value: String) {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else {
            return (String(decoding: bytes, as: UTF8.self), "")
        }
        return (
            String(decoding: bytes[..<equals], as: UTF8.self), String(decoding: bytes[(equals + 1)...], as: UTF8.self)
        )
    }

    /// Reads exactly `length` bytes of the request body, byte for byte (signatures are computed over them).
    ///
    /// - Parameter length: `CONTENT_LENGTH`; the caller checks it against its body limit first.
    /// - Returns: the body.
    /// - Throws: `FastCGIError` (operation `FCGX_GetStr`, code = bytes received) when the stream ends early.
    public func readBody(length: Int) throws(FastCGIError) -> [UInt8] {
        guard length > 0 else { return [] }
        guard let stream = request.pointee.in else {
            throw FastCGIError(operation: "FCGX_GetStr", code: 0, systemError: 0, detail: "no input stream")
        }
        var body = [UInt8](repeating: 0, count: length)
        var received = 0
        while received < length {
            let count = body.withUnsafeMutableBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return 0 }
                let chunk = Int32(clamping: length - received)
                return FCGX_GetStr(base.advanced(by: received).assumingMemoryBound(to: CChar.self), chunk, stream)
            }
            guard count > 0 else { break }
            received += Int(count)
        }
        guard received == length else {
            throw FastCGIError(
                operation: "FCGX_GetStr", code: Int32(clamping: received), systemError: FCGX_GetError(stream),
                detail: "body ended after \(received) of \(length) bytes")
        }
        return body
    }

    /// Writes the response: `Status: NNN <reason>`, the headers, `Content-Length` when absent (and the status allows a
    /// body), a blank line, the body.
    ///
    /// CR and LF are removed from header names and values so nothing can inject a header.
    /// - Throws: `FastCGIError` when the output stream fails (nginx went away).
    public func respond(status: Int, headers: [(String, String)], body: [UInt8]) throws(FastCGIError) {
        guard let stream = request.pointee.out else {
            throw FastCGIError(operation: "FCGX_PutStr", code: -1, systemError: 0, detail: "no output stream")
        }
        // Built as bytes in one buffer, head and body, written with one call.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + body.count)
        func add(_ text: String) { bytes.append(contentsOf: text.utf8) }
        add("Status: ")
        add(String(status))
        add(" ")
        add(HTTPReasonPhrase.phrase(for: status))
        add("\r\n")
        var hasLength = false
        for (name, value) in headers {
            let cleanName = Self.headerSafe(name)
            guard !cleanName.isEmpty else { continue }
            if cleanName.lowercased() == "content-length" { hasLength = true }
            add(cleanName)
            add(": ")
            add(Self.headerSafe(value))
            add("\r\n")
        }
        // 1xx, 204 and 304 never carry a body, and HTTP forbids Content-Length on 1xx and 204.
        let bodiless = (100..<200).contains(status) || status == 204 || status == 304
        if !hasLength && !bodiless {
            add("Content-Length: ")
            add(String(body.count))
            add("\r\n")
        }
        add("\r\n")
        bytes += body
        try put(bytes, to: stream)
    }

    /// Completes the request (`FCGX_Finish_r`): flushes the output and ends it so nginx can answer the client.
    ///
    /// A connection nginx asked to keep is read up to the end of the request's body first (so the next request starts
    /// at a record boundary), then parked in the accept gate for nginx's next request.
    public func finish() {
        if request.pointee.keepConnection != 0 { drainBody() }
        FCGX_Finish_r(request)
        let kept = request.pointee.ipcFd
        guard kept >= 0 else { return }
        request.pointee.ipcFd = -1
        listener.gate.park(kept)
    }

    /// The most of an unread body `finish()` reads to keep a connection; a longer one (nginx refuses bodies above its
    /// `client_max_body_size` before they get here) ends the connection instead.
    public static let drainLimit = 64 * 1024

    /// Reads what the handler left of the body, up to the end-of-body record; a failed read is left for
    /// `FCGX_Finish_r`, which then closes the connection.
    private func drainBody() {
        guard let stream = request.pointee.in else { return }
        let request = self.request
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { scratch in
            guard let base = scratch.baseAddress else { return }
            var drained = 0
            while true {
                let count = FCGX_GetStr(base, Int32(scratch.count), stream)
                guard count > 0 else { return }
                drained += Int(count)
                if drained > Self.drainLimit {
                    request.pointee.keepConnection = 0
                    return
                }
            }
        }
    }

    private func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>) throws(FastCGIError) {
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 0 }
            return FCGX_PutStr(base.assumingMemoryBound(to: CChar.self), Int32(clamping: raw.count), stream)
        }
        guard written == Int32(clamping: bytes.count) else {
            throw FastCGIError(operation: "FCGX_PutStr", code: written, systemError: FCGX_GetError(stream))
        }
    }

    private static func headerSafe(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return text }
        return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}

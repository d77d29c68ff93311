import PaymentsCore
import Signing
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The production `HTTPTransport`: HTTP/1.1 for `http://` and `https://` URLs over POSIX sockets, TLS by OpenSSL,
/// with keep-alive connections shared by all threads.
///
/// Why not URLSession: on Linux it runs every call through libcurl, a Dispatch queue and Foundation bridging, which
/// costs far more CPU than a loopback call itself, and FoundationNetworking's libcurl chain costs the responder about
/// 4 MB resident before the first call (bench/README.md). This transport writes the request and parses the answer
/// directly: `Content-Length`, chunked and close-delimited bodies, interim 1xx answers skipped, no redirects
/// followed, no compression asked for, one deadline per call (`HTTPRequest.timeout`) covering connect, TLS
/// handshake, send and receive. Idle connections wait in a small pool per scheme, host and port; a pooled connection
/// that turns out stale before any answer byte arrived is replaced once.
///
/// `https://` peers are verified by OpenSSL: the chain against the system's trust store (OpenSSL's defaults, which
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` can point elsewhere) and the certificate's name against the URL's host;
/// TLS 1.2 at least. A failed check is a `.connection` error naming the reason.
public final class SocketHTTPTransport: HTTPTransport {
    /// Answers larger than this are abandoned with `HTTPTransportError(.tooLarge)`.
    public let maxResponseBytes: Int
    /// Idle connections kept per scheme, host and port.
    public let maxIdlePerHost: Int
    /// Idle connections older than this are closed instead of reused (servers drop idle keep-alives).
    static let maxIdleSeconds = 30.0
    /// Origins kept at most; a URL whose origin does not fit is parsed whole on each call (still pooled by key).
    static let maxOrigins = 32
    /// The origins seen so far, found by their scheme and authority bytes (`resolve`).
    private let origins = Locked<[HTTPOrigin]>([])
    /// The idle pool of each scheme, host and port, looked up only when an origin is made.
    private let pools = Locked<[String: HTTPIdlePool]>([:])
    private let opened = Atomic<Int>(0)
    /// The client TLS context: the one given, or the system's trust store read at the first `https://` call (a
    /// process that never calls one never reads it).
    private let trust: Locked<TLSContext?>

    /// Creates a transport with an empty pool.
    /// - Parameters:
    ///   - maxResponseBytes: the largest body accepted (4 MiB by default).
    ///   - maxIdlePerHost: idle keep-alive connections kept per scheme, host and port.
    ///   - trust: the TLS client context for `https://` (tests: `TLSContext.client(trusting:)`); nil trusts the
    ///     system's store.
    public init(maxResponseBytes: Int = 4 * 1024 * 1024, maxIdlePerHost: Int = 16, trust: TLSContext? = nil) {
        self.maxResponseBytes = maxResponseBytes
        self.maxIdlePerHost = maxIdlePerHost
        self.trust = Locked(trust)
        Self.ignoreBrokenPipes()
    }

    /// Connections opened so far (tests check keep-alive reuse with it).
    public var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    /// Sends one request and waits for the whole answer.
    /// - Throws: `HTTPTransportError` when no complete answer arrived; every HTTP status is returned.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let route = resolve(request.url) else {
            throw HTTPTransportError(.invalidURL, "not an http(s) URL")
        }
        return try send(request, route: route)
    }

    /// The origin and request target of an `http(s)://` URL, or nil where `HTTPTarget` refuses it.
    ///
    /// The URL's own parts are checked on each call; its authority is parsed (`HTTPTarget`) only the first time
    /// it is seen, then found among the kept origins by its scheme and authority bytes.
    func resolve(_ url: String) -> HTTPRoute? {
        var text = url
        return text.withUTF8 { bytes -> HTTPRoute? in
            guard let (prefix, target) = HTTPRoute.split(bytes) else { return nil }
            let slashFirst = target.isEmpty || bytes[target.lowerBound] == UInt8(ascii: "?")
            let prefixBytes = UnsafeBufferPointer(rebasing: bytes[prefix])
            let known = origins.withLock { list in list.first { $0.matches(prefixBytes) } }
            if let known { return HTTPRoute(origin: known, target: target, slashFirst: slashFirst) }
            guard let parsed = HTTPTarget(url) else { return nil }
            let key = parsed.key
            let pool = pools.withLock { pools in
                if let pool = pools[key] { return pool }
                let pool = HTTPIdlePool(key: key)
                pools[key] = pool
                return pool
            }
            let origin = HTTPOrigin(schemeAndAuthority: Array(prefixBytes), target: parsed, pool: pool)
            origins.withLock { list in
                if list.count < Self.maxOrigins && !list.contains(where: { $0.matches(prefixBytes) }) {
                    list.append(origin)
                }
            }
            return HTTPRoute(origin: origin, target: target, slashFirst: slashFirst)
        }
    }

    /// Sends `request` to its resolved URL.
    private func send(_ request: HTTPRequest, route: HTTPRoute) throws -> HTTPResponse {
        let deadline = Self.deadline(of: request)
        var pooled = route.origin.pool.take(maxIdleSeconds: Self.maxIdleSeconds)
        while true {
            let connection = pooled
            pooled = nil
            do {
                let exchange = try start(request, route: route, on: connection, deadline: deadline)
                return try finish(exchange, pool: route.origin.pool)
            } catch let failure as HTTPConnection.Failure {
                // A stale keep-alive (closed by the server while idle): one more try on a fresh connection.
                if failure.beforeAnswer { continue }
                throw failure.error
            }
        }
    }

    /// Writes every request on a connection of its own before reading the first answer, so the peer works on them
    /// together and this thread waits about once for all of them (`HTTPTransport.send(all:)`).
    ///
    /// Each request keeps its own deadline. A request whose pooled connection turns out stale before any answer
    /// byte arrived is sent again alone on a fresh connection, as `send(_:)` does.
    public func send(all requests: [HTTPRequest]) -> [Result<HTTPResponse, any Error>] {
        guard requests.count > 1 else { return requests.map { request in Result { try send(request) } } }
        var results = [Result<HTTPResponse, any Error>?](repeating: nil, count: requests.count)
        var written: [(index: Int, route: HTTPRoute, exchange: Exchange)] = []
        for (index, request) in requests.enumerated() {
            guard let route = resolve(request.url) else {
                results[index] = .failure(HTTPTransportError(.invalidURL, "not an http(s) URL"))
                continue
            }
            let pooled = route.origin.pool.take(maxIdleSeconds: Self.maxIdleSeconds)
            do {
                let exchange = try start(request, route: route, on: pooled, deadline: Self.deadline(of: request))
                written.append((index, route, exchange))
            } catch {
                results[index] = answer(after: error, resending: request, route: route)
            }
        }
        for (index, route, exchange) in written {
            do {
                results[index] = .success(try finish(exchange, pool: route.origin.pool))
            } catch {
                results[index] = answer(after: error, resending: requests[index], route: route)
            }
        }
        return results.map { $0 ?? .failure(HTTPTransportError(.connection, "no answer")) }
    }

    /// What a request of `send(all:)` answers when writing it or reading its answer failed: a stale pooled connection
    /// (nothing answered) sends it again alone on a fresh one, as `send(_:)` does; any other failure is its answer.
    private func answer(after error: any Error, resending request: HTTPRequest, route: HTTPRoute) -> Result<
        HTTPResponse, any Error
    > {
        guard let failure = error as? HTTPConnection.Failure else { return .failure(error) }
        return failure.beforeAnswer ? Result { try send(request, route: route) } : .failure(failure.error)
    }

    /// A request written on its connection whose answer is still to be read.
    private struct Exchange {
        let method: String
        let connection: HTTPConnection
        let reused: Bool
        let deadline: Double
        let limit: Int
    }

    /// The uptime by which `request` must have its whole answer (connect, TLS handshake, send and receive).
    private static func deadline(of request: HTTPRequest) -> Double {
        HTTPConnection.now() + (request.timeout > 0 ? request.timeout : 10)
    }

    /// Writes `request` on `pooled`, or on a new connection when it is nil.
    /// - Throws: `HTTPConnection.Failure` (stale when a reused connection refused the write), or the error of
    ///   opening a connection.
    private func start(_ request: HTTPRequest, route: HTTPRoute, on pooled: HTTPConnection?, deadline: Double) throws
        -> Exchange
    {
        let limit = min(maxResponseBytes, request.maxResponseBytes ?? maxResponseBytes)
        let origin = route.origin
        let connection: HTTPConnection
        if let pooled {
            connection = pooled
        } else {
            connection = try HTTPConnection.open(
                host: origin.host, port: origin.port, tls: origin.isSecure ? try clientContext() : nil,
                deadline: deadline)
            opened.add(1, ordering: .relaxed)
        }
        connection.outgoing.removeAll(keepingCapacity: true)
        Self.serialize(request, route: route, into: &connection.outgoing)
        let reused = pooled != nil
        do {
            try connection.write(connection.outgoing, deadline: deadline)
        } catch {
            throw HTTPConnection.Failure(error: error, beforeAnswer: reused && error.kind == .connection)
        }
        return Exchange(
            method: request.method, connection: connection, reused: reused, deadline: deadline, limit: limit)
    }

    /// The client TLS context, the system's read on first use.
    private func clientContext() throws(HTTPTransportError) -> TLSContext {
        try trust.withLock { (context: inout TLSContext?) throws(HTTPTransportError) -> TLSContext in
            if let context { return context }
            do {
                let system = try TLSContext.systemClient()
                context = system
                return system
            } catch {
                throw HTTPTransportError(.connection, "the system's TLS trust store cannot be read: \(error)")
            }
        }
    }

    /// A TLS write to a peer that has gone raises SIGPIPE (OpenSSL writes with `write()`, not `send(MSG_NOSIGNAL)`),
    /// which would end the process: it is ignored unless the process has its own handler (libfcgi's, the sandbox's).
    private static func ignoreBrokenPipes() {
        var current = sigaction()
        guard sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil else { return }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Reads the answer to the exchange's request; the connection goes back to `pool` when it can carry more.
    private func finish(_ exchange: Exchange, pool: HTTPIdlePool) throws -> HTTPResponse {
        let (method, connection, deadline, limit) =
            (exchange.method, exchange.connection, exchange.deadline, exchange.limit)
        let head = try connection.readHead(deadline: deadline, reused: exchange.reused, limit: limit)
        let fields = head.fields
        let framing = fields.framing
        let connectionTokens = framing.connection ?? ""
        var keepAlive =
            head.minorVersion >= 1
            ? !Self.contains(connectionTokens, "close") : Self.contains(connectionTokens, "keep-alive")
        let body: [UInt8]
        let bodiless = method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200
        if bodiless {
            body = []
        } else if let coding = framing.transferEncoding, Self.contains(coding, "chunked") {
            body = try connection.readChunked(deadline: deadline, limit: limit)
        } else if let lengthText = framing.contentLength {
            guard let length = Self.contentLength(lengthText) else {
                throw HTTPTransportError(.connection, "malformed Content-Length")
            }
            if length > limit { throw HTTPTransportError(.tooLarge, "answer larger than \(limit) bytes") }
            body = try connection.readBody(length: length, deadline: deadline)
        } else {
            keepAlive = false
            body = try connection.readToEnd(deadline: deadline, limit: limit)
        }
        if keepAlive { pool.put(connection, limit: maxIdlePerHost) }
        return HTTPResponse(status: head.status, fields: fields, body: body)
    }

    /// Appends the request line, `Host`, the caller's headers (CR/LF removed) and `Content-Length`, then the body,
    /// to `bytes` (the connection's reused buffer). The request target is copied from the URL's bytes.
    static func serialize(_ request: HTTPRequest, route: HTTPRoute, into bytes: inout [UInt8]) {
        bytes.reserveCapacity(256 + request.body.count)
        func add(_ text: String) { bytes.append(contentsOf: text.utf8) }
        add(clean(request.method))
        bytes.append(UInt8(ascii: " "))
        if route.slashFirst { bytes.append(UInt8(ascii: "/")) }
        var url = request.url
        url.withUTF8 { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[route.target])) }
        add(" HTTP/1.1\r\nHost: ")
        add(route.origin.hostHeader)
        add("\r\n")
        var hasLength = false
        for (name, value) in request.headers {
            let name = clean(name)
            guard !name.isEmpty else { continue }
            if isNamed(name, "host") || isNamed(name, "connection") || isNamed(name, "transfer-encoding") { continue }
            if isNamed(name, "content-length") { hasLength = true }
            add(name)
            add(": ")
            add(clean(value))
            add("\r\n")
        }
        if !hasLength && (!request.body.isEmpty || sendsBody(request.method)) {
            add("Content-Length: ")
            add(String(request.body.count))
            add("\r\n")
        }
        add("\r\n")
        bytes += request.body
    }

    /// Whether a method is POST, PUT or PATCH in any case (`uppercased()` for a method that is not ASCII).
    static func sendsBody(_ method: String) -> Bool {
        guard method.utf8.allSatisfy({ $0 < 0x80 }) else {
            let upper = method.uppercased()
            return upper == "POST" || upper == "PUT" || upper == "PATCH"
        }
        return isNamed(method, "post") || isNamed(method, "put") || isNamed(method, "patch")
    }

    /// Whether `text` contains `lowercaseNeedle`, ignoring ASCII case (header values are ASCII tokens).
    static func contains(_ text: String, _ lowercaseNeedle: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: lowercaseNeedle.utf8Start, count: lowercaseNeedle.utf8CodeUnitCount)
        let haystack = text.utf8
        guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty }
        var start = haystack.startIndex
        while let found = haystack[start...].firstIndex(where: { HTTPTarget.asciiLowercased($0) == first }) {
            if haystack[found...].lazy.map(HTTPTarget.asciiLowercased).starts(with: needle) { return true }
            start = haystack.index(after: found)
        }
        return false
    }

    /// The first value of a `Content-Length` list (`"12"`, `"12, 12"`): its digits, `Int.max` when they overflow an
    /// `Int` (simply more than any limit); nil when it is empty or not all digits.
    static func contentLength(_ text: String) -> Int? {
        let comma = UInt8(ascii: ",")
        let value = text.utf8.drop { $0 == comma }.prefix { $0 != comma }
        guard !value.isEmpty else { return nil }
        var length = 0
        var overflowed = false
        for byte in value {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            if overflowed { continue }
            let (times10, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if o1 || o2 { overflowed = true } else { length = sum }
        }
        return overflowed ? Int.max : length
    }

    /// Whether a header name is `lowercaseName`, ignoring ASCII case.
    static func isNamed(_ name: String, _ lowercaseName: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
        return name.utf8.count == expected.count
            && zip(name.utf8, expected).allSatisfy { HTTPTarget.asciiLowercased($0) == $1 }
    }

    private static func clean(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return text }
        return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}

/// An outbound HTTP request, bytes in and bytes out, with no HTTP library types.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Seconds before the call is abandoned (`HTTP_TIMEOUT_SECONDS` unless a caller needs less).
    public var timeout: Double
    /// A tighter body cap than the transport's own (PayPal certificate fetches: 64 KiB); nil keeps the transport's.
    public var maxResponseBytes: Int? = nil

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double = 10)
    {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// An outbound HTTP answer; header names are lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The header lines as received (the socket transport), or nil when `given` holds the headers.
    private var fields: HTTPHeaderFields?
    private var given: [String: String]

    /// The answer's headers: built from the received lines on each read when the transport kept them unparsed
    /// (most answers are read for their status and body only).
    public var headers: [String: String] {
        get { fields?.dictionary ?? given }
        set {
            given = newValue
            fields = nil
        }
    }

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.given = headers
        self.body = body
    }

    /// An answer whose headers stay as received until `headers` is read.
    public init(status: Int, fields: HTTPHeaderFields, body: [UInt8]) {
        self.status = status
        self.fields = fields
        self.given = [:]
        self.body = body
    }

    /// The body parsed as JSON, or nil when it is not JSON.
    public var json: JSONValue? { try? JSONValue.parse(body) }
}

/// Why an outbound call produced no HTTP answer at all.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case timeout, connection, invalidURL, tooLarge }
    public let kind: Kind
    public let detail: String
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }
    public var description: String { "\(kind): \(detail)" }
}

/// Sends HTTP requests synchronously; the one seam between the backend and the network.
///
/// Implementations (the production one is `SocketHTTPTransport` in the `OutboundHTTP` target; tests use fakes) must
/// be safe to call from many worker threads at once. Callers only ever see this protocol: nothing downcasts a
/// transport to reach an implementation's own API.
public protocol HTTPTransport: Sendable {
    /// Sends one request and waits for its whole answer.
    ///
    /// Called from any thread, any number at once; it blocks the calling thread for at most `request.timeout`.
    /// - Returns: every HTTP answer, whatever its status (3xx included: redirects are not followed).
    /// - Throws: `HTTPTransportError` only when no answer arrived (timeout, refused, reset, too large, bad URL).
    func send(_ request: HTTPRequest) throws -> HTTPResponse

    /// Sends several requests at once and waits for every answer, one result per request in order.
    ///
    /// Why: a thread that has several calls to make (the Retail push of a few rows) waits once for all of them
    /// instead of once for each; every wake-up of a blocked thread is a context switch, which on these machines costs
    /// more than the call's own work (bench/README.md, "pushes in flight"). Each request keeps its own timeout.
    func send(all requests: [HTTPRequest]) -> [Result<HTTPResponse, any Error>]
}

extension HTTPTransport {
    /// One request after the other: the behaviour of a transport that cannot have several in flight.
    public func send(all requests: [HTTPRequest]) -> [Result<HTTPResponse, any Error>] {
        requests.map { request in Result { try send(request) } }
    }
}

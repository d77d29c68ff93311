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
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
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
/// Implementations must be safe to call from many worker threads at once. `send` returns every HTTP answer,
/// whatever its status, and throws `HTTPTransportError` only when no answer arrived (timeout, refused, reset).
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) throws -> HTTPResponse
}

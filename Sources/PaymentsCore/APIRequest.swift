/// One API request as the responder received it, with the body byte-exact (signatures are computed over it).
public struct APIRequest: Sendable {
    public var method: String
    /// The single flat segment after `/api/`, e.g. `stripe-handleWebhookEvents`.
    public var route: String
    /// Decoded query parameters, first value wins.
    public var query: [String: String]
    /// Header names lower-cased with `-` (`stripe-signature`), as FastCGI `HTTP_*` params are folded back.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer nginx saw (`REMOTE_ADDR`); never taken from forwarded headers.
    public var remoteAddress: String
    /// nginx's `$request_id`, for log correlation.
    public var requestID: String

    public init(
        method: String, route: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], remoteAddress: String = "", requestID: String = ""
    ) {
        self.method = method
        self.route = route
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// A header by its lower-case name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Splits a raw query string (`a=1&b=x%20y`) into decoded pairs; the first value of a key wins.
    public static func parseQuery(_ raw: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = FormEncoding.decode(String(parts[0]))
            let value = parts.count > 1 ? FormEncoding.decode(String(parts[1])) : ""
            if result[key] == nil { result[key] = value }
        }
        return result
    }
}

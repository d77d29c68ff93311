/// One parsed HTTP request as the emulated services see it.
struct SandboxRequest: Sendable {
    /// Upper-case method token, e.g. `POST`.
    let method: String
    /// The raw path without the query string.
    let path: String
    /// Decoded query parameters in order.
    let query: [(String, String)]
    /// Header fields in order, names lower-cased.
    let headers: [(String, String)]
    let body: [UInt8]

    /// The first header named `name` (give it lower-cased).
    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }

    /// The first query parameter named `name`.
    func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }

    /// Percent-decoded, non-empty path segments.
    var segments: [String] {
        path.split(separator: "/").map { PercentDecoding.decode(String($0)) }
    }
}

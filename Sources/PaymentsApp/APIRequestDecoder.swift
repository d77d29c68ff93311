import Foundation
import PaymentsCore

/// Turns FastCGI parameters and the body into the `APIRequest` the router understands.
///
/// Kept apart from the FastCGI target so that target knows nothing of the domain, and pure so it is testable (and
/// fuzzed, `Fuzz/`) without a socket.
public enum APIRequestDecoder {
    /// The request body length nginx announced (`CONTENT_LENGTH`); absent, empty or malformed counts as 0, and digits
    /// beyond Int count as `Int.max` (over any body limit: 413).
    public static func contentLength(_ parameters: [(name: String, value: String)]) -> Int {
        guard let text = value("CONTENT_LENGTH", in: parameters), !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            return 0
        }
        return Int(text) ?? Int.max
    }

    /// Builds the request.
    ///
    /// - Route: the path after `/api/` (from nginx's already decoded `DOCUMENT_URI`, else `REQUEST_URI` without its query,
    ///   percent-decoded, else `SCRIPT_NAME`); a path outside `/api/` is kept whole so the router answers 404.
    /// - Headers: every `HTTP_*` parameter lower-cased with `_` as `-`, plus `content-type` and `content-length`.
    /// - Request id: nginx's `REQUEST_ID`, or a random one when absent.
    public static func makeRequest(parameters: [(name: String, value: String)], body: [UInt8]) -> APIRequest {
        var headers: [String: String] = [:]
        for (name, value) in parameters where name.utf8.count > 5 && name.hasPrefix("HTTP_") {
            let key = headerName(fromParameter: name)
            if headers[key] == nil { headers[key] = value }
        }
        if let type = value("CONTENT_TYPE", in: parameters), !type.isEmpty { headers["content-type"] = type }
        if let length = value("CONTENT_LENGTH", in: parameters), !length.isEmpty { headers["content-length"] = length }
        let requestID = value("REQUEST_ID", in: parameters).flatMap { $0.isEmpty ? nil : $0 } ?? randomRequestID()
        return APIRequest(
            method: (value("REQUEST_METHOD", in: parameters) ?? "GET").uppercased(),
            route: route(fromPath: path(parameters)),
            query: APIRequest.parseQuery(value("QUERY_STRING", in: parameters) ?? ""),
            headers: headers,
            body: body,
            remoteAddress: value("REMOTE_ADDR", in: parameters) ?? "",
            requestID: requestID)
    }

    /// `HTTP_STRIPE_SIGNATURE` → `stripe-signature`: the prefix dropped, ASCII lower-cased, `_` as `-`.
    public static func headerName(fromParameter name: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count - 5)
        for byte in name.utf8.dropFirst(5) {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte + 32)
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "-"))
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The segment after `/api/`; `/api` and `/api/` give the empty route, other paths stay whole.
    public static func route(fromPath path: String) -> String {
        if path.hasPrefix("/api/") { return String(path.dropFirst(5)) }
        if path == "/api" { return "" }
        return path
    }

    /// Percent-decodes a URL path (`+` stays a plus; malformed escapes are kept literally).
    public static func percentDecode(_ text: String) -> String {
        FormEncoding.decode(text, plusAsSpace: false)
    }

    private static func path(_ parameters: [(name: String, value: String)]) -> String {
        if let document = value("DOCUMENT_URI", in: parameters), !document.isEmpty { return document }
        if let uri = value("REQUEST_URI", in: parameters), !uri.isEmpty {
            let withoutQuery = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return percentDecode(String(withoutQuery))
        }
        return value("SCRIPT_NAME", in: parameters) ?? ""
    }

    private static func value(_ name: String, in parameters: [(name: String, value: String)]) -> String? {
        parameters.first { $0.name == name }?.value
    }

    private static func randomRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

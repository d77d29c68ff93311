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

    /// The parameters `makeRequest` and `contentLength` read: these names, and every name starting with
    /// `headerParameterPrefix`. The FastCGI layer decodes only these (`FastCGIParameterFilter`).
    public static let parameterNames = [
        "CONTENT_LENGTH", "CONTENT_TYPE", "DOCUMENT_URI", "QUERY_STRING", "REMOTE_ADDR", "REQUEST_ID",
        "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME",
    ]
    /// The prefix of the parameters that carry request headers.
    public static let headerParameterPrefix = "HTTP_"

    /// Builds the request.
    ///
    /// - Route: the path after `/api/` (from nginx's already decoded `DOCUMENT_URI`, else `REQUEST_URI` without its query,
    ///   percent-decoded, else `SCRIPT_NAME`); a path outside `/api/` is kept whole so the router answers 404.
    /// - Headers: every `HTTP_*` parameter lower-cased with `_` as `-`, plus `content-type` and `content-length`.
    /// - Request id: nginx's `REQUEST_ID`, or a random one when absent.
    /// Of a parameter sent twice, the first counts. One pass over the parameters.
    public static func makeRequest(parameters: [(name: String, value: String)], body: [UInt8]) -> APIRequest {
        var headers: [String: String] = [:]
        headers.reserveCapacity(parameters.count + 2)
        var known = KnownParameters()
        for (name, value) in parameters {
            if name.utf8.count > 5 && name.hasPrefix(headerParameterPrefix) {
                let key = headerName(fromParameter: name)
                if headers[key] == nil { headers[key] = value }
            } else {
                known.take(name, value)
            }
        }
        if let type = known.contentType, !type.isEmpty { headers["content-type"] = type }
        if let length = known.contentLength, !length.isEmpty { headers["content-length"] = length }
        let requestID = known.requestID.flatMap { $0.isEmpty ? nil : $0 } ?? randomRequestID()
        let method = known.method ?? "GET"
        return APIRequest(
            method: method.utf8.contains { (0x61...0x7A).contains($0) || $0 >= 0x80 } ? method.uppercased() : method,
            route: route(fromPath: known.path),
            query: APIRequest.parseQuery(known.queryString ?? ""),
            headers: headers,
            body: body,
            remoteAddress: known.remoteAddress ?? "",
            requestID: requestID)
    }

    /// The first value of each parameter `makeRequest` reads by name.
    private struct KnownParameters {
        var contentType: String?
        var contentLength: String?
        var requestID: String?
        var method: String?
        var queryString: String?
        var remoteAddress: String?
        var documentURI: String?
        var requestURI: String?
        var scriptName: String?

        mutating func take(_ name: String, _ value: String) {
            switch name {
            case "CONTENT_TYPE": contentType = contentType ?? value
            case "CONTENT_LENGTH": contentLength = contentLength ?? value
            case "REQUEST_ID": requestID = requestID ?? value
            case "REQUEST_METHOD": method = method ?? value
            case "QUERY_STRING": queryString = queryString ?? value
            case "REMOTE_ADDR": remoteAddress = remoteAddress ?? value
            case "DOCUMENT_URI": documentURI = documentURI ?? value
            case "REQUEST_URI": requestURI = requestURI ?? value
            case "SCRIPT_NAME": scriptName = scriptName ?? value
            default: break
            }
        }

        /// nginx's already decoded `DOCUMENT_URI`, else `REQUEST_URI` without its query, percent-decoded, else
        /// `SCRIPT_NAME`.
        var path: String {
            if let documentURI, !documentURI.isEmpty { return documentURI }
            if let requestURI, !requestURI.isEmpty {
                let withoutQuery =
                    requestURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                return percentDecode(String(withoutQuery))
            }
            return scriptName ?? ""
        }
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

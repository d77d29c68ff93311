import Foundation

/// What a handler answers; the FastCGI adapter writes it out as status, headers and body.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from a `JSONValue`.
    public static func json(_ value: JSONValue, status: Int = 200) -> APIResponse {
        APIResponse(
            status: status, headers: [("Content-Type", "application/json")], body: value.serializedBytes())
    }

    /// A plain-text response (Payeer and Anypay webhooks expect text).
    public static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// The error body of DESIGN §3.
    public static func error(_ error: APIError) -> APIResponse {
        var response = json(
            .object([("errorName", .string(error.code.name)), ("errorMessage", .string(error.message))]),
            status: error.code.status)
        response.headers.append(contentsOf: error.headers)
        return response
    }

    /// `{"received":true}`, the webhook acknowledgement of Stripe, PayPal, Cryptomus and the stores.
    public static let received = json(.object([("received", .bool(true))]))
    /// `{"result":"success"}`, what the web client expects from action routes.
    public static let success = json(.object([("result", .string("success"))]))

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

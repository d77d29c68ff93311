import Foundation
import PaymentsCore
import Signing
import Testing

/// The sandbox's Payeer and Anypay sides: their merchant pages (what the client's browser posts the form to) and the
/// control endpoints that deliver notifications, plus deliveries the tests sign themselves.
struct FormGatewaysStack {
    let stack: Stack

    init(_ stack: Stack) {
        self.stack = stack
    }

    /// A sandbox control call; fails the test unless it answers 2xx with JSON.
    @discardableResult
    func control(_ path: String, _ body: JSONValue) throws -> JSONValue {
        let result = try HTTP.postJSON(stack.env.sandboxURL + "/control/" + path, body)
        try #require((200..<300).contains(result.status), "sandbox \(path): \(result)")
        return try #require(result.json, "sandbox \(path): \(result)")
    }

    /// Posts a client answer's form fields to the merchant page on sandbox port base+`offset`.
    func submit(_ form: JSONValue, portOffset: Int) throws {
        let pairs = FormGatewaysStack.pairs(form)
        let port = stack.env.int("SANDBOX_PORT_BASE", default: 8100) + portOffset
        let result = try HTTP.send(
            "POST", "http://127.0.0.1:\(port)/merchant/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(FormEncoding.encode(pairs).utf8))
        try #require(result.status == 200, "merchant page refused the form: \(result)")
    }

    /// `payeer-createOrder` through nginx, then the form posted to the sandbox's Payeer page; returns `m_orderid`.
    func payeerOrder(token: String, amount: Int64) throws -> String {
        let result = try stack.api.post(
            "payeer-createOrder",
            .object([
                ("amount", .int(amount)), ("success_url", .string("https://shop.sandbox.test/ok")),
                ("fail_url", .string("https://shop.sandbox.test/fail")),
            ]), token: token)
        try #require(result.status == 200, "payeer-createOrder: \(result)")
        let form = try #require(result.json)
        try submit(form, portOffset: 7)
        return try #require(form["m_orderid"]?.stringValue)
    }

    /// `anypay-createPayment` through nginx, then the form posted to the sandbox's Anypay page; returns `pay_id`.
    func anypayPayment(token: String, amount: Int64) throws -> String {
        let result = try stack.api.post("anypay-createPayment", .object([("amount", .int(amount))]), token: token)
        try #require(result.status == 200, "anypay-createPayment: \(result)")
        let form = try #require(result.json)
        try submit(form, portOffset: 8)
        return try #require(form["pay_id"]?.stringValue)
    }

    /// The fields of a notification record a control call answered, in the order sent.
    static func fields(_ record: JSONValue) -> [(String, String)] { pairs(record["fields"]) }

    /// The string members of a JSON object, in order.
    static func pairs(_ object: JSONValue?) -> [(String, String)] {
        guard case .object(let members)? = object else { return [] }
        return members.compactMap { name, value in value.stringValue.map { (name, $0) } }
    }

    /// POSTs form fields to a webhook route through nginx.
    func post(_ route: String, _ fields: [(String, String)]) throws -> HTTPResult {
        try stack.api.postRaw(
            route, Array(FormEncoding.encode(fields).utf8), token: nil,
            contentType: "application/x-www-form-urlencoded")
    }

    /// The status of the same fields POSTed from 127.0.0.2 (outside the allow-lists) with a forged
    /// `X-Forwarded-For: 127.0.0.1`.
    func postFromElsewhere(_ route: String, _ fields: [(String, String)]) throws -> Int {
        try RawHTTP.post(
            from: "127.0.0.2", port: stack.env.int("RUN_HTTP_PORT", default: 18080), path: "/api/" + route,
            body: Array(FormEncoding.encode(fields).utf8),
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", "127.0.0.1"),
                ("X-Real-IP", "127.0.0.1"),
            ])
    }

    /// Lowercase hex SHA-256 of the values joined with `:`.
    static func sha256(_ values: [String]) -> String {
        Hex.encode(Digest.sha256(Array(values.joined(separator: ":").utf8)))
    }
}

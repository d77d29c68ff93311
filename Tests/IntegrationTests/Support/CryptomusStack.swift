import Foundation
import PaymentsCore
import Signing
import Testing

/// The sandbox's Cryptomus side: control endpoints and the signed merchant API.
struct CryptomusStack {
    let stack: Stack
    let back = "https://shop.sandbox.test/back"
    let success = "https://shop.sandbox.test/ok"

    /// The Cryptomus suite's private stack, emptied and reset (`PrivateStack.fresh()`).
    static func connect() throws -> (Stack, CryptomusStack) {
        let stack = try PrivateStack.fresh()
        return (stack, CryptomusStack(stack: stack))
    }

    /// `cryptomus-createPayment` through nginx; returns the invoice uuid (the last segment of `url`).
    func create(token: String, amount: Int64) throws -> String {
        let result = try stack.api.post(
            "cryptomus-createPayment",
            .object([("amount", .int(amount)), ("url_return", .string(back)), ("url_success", .string(success))]),
            token: token)
        try #require(result.status == 200, "cryptomus-createPayment: \(result)")
        let url = try #require(result.json?["url"]?.stringValue, "no url in \(result)")
        return String(try #require(url.split(separator: "/").last))
    }

    private func control(_ path: String, _ body: JSONValue) throws -> JSONValue {
        let result = try HTTP.postJSON(stack.env.sandboxURL + "/control/cryptomus/" + path, body)
        guard (200..<300).contains(result.status), let json = result.json else {
            throw SandboxError(description: "sandbox cryptomus \(path) answered \(result)")
        }
        return json
    }

    /// Moves the invoice; returns the emitted event record (with its exact `body`).
    @discardableResult
    func status(_ uuid: String, _ status: String, paidUSD: String? = nil, deliver: Bool = true) throws -> JSONValue {
        var body: [(String, JSONValue)] = [
            ("uuid", .string(uuid)), ("status", .string(status)), ("deliver", .bool(deliver)),
        ]
        if let paidUSD { body.append(("payment_amount_usd", .string(paidUSD))) }
        let answer = try control("status", .object(body))
        let eventID = answer["sandbox_events"]?.arrayValue?.first?.stringValue
        return try events(uuid).first { $0["id"]?.stringValue == eventID } ?? .null
    }

    func expire(_ uuid: String, deliver: Bool = true) throws {
        _ = try control("expire", .object([("uuid", .string(uuid)), ("deliver", .bool(deliver))]))
    }

    func disagree(_ uuid: String, clear: Bool = false) throws {
        _ = try control("disagree", .object([("uuid", .string(uuid)), ("clear", .bool(clear))]))
    }

    func redeliver(_ uuid: String, key: String? = nil, escapeUnicode: Bool = false) throws -> JSONValue {
        var body: [(String, JSONValue)] = [("uuid", .string(uuid)), ("escape_unicode", .bool(escapeUnicode))]
        if let key { body.append(("key", .string(key))) }
        return try control("redeliver", .object(body))
    }

    func events(_ uuid: String) throws -> [JSONValue] {
        let result = try HTTP.send("GET", stack.env.sandboxURL + "/control/cryptomus/events?uuid=\(uuid)")
        return result.json?["events"]?.arrayValue ?? []
    }

    func invoice(_ uuid: String) throws -> JSONValue {
        try #require(try HTTP.send("GET", stack.env.sandboxURL + "/control/cryptomus/invoices/\(uuid)").json)
    }

    /// Waits until `count` deliveries of `status` for the invoice reached `deliveryStatus`; returns the last.
    @discardableResult
    func waitForDelivery(_ uuid: String, status: String, deliveryStatus: String = "delivered", count: Int = 1) throws
        -> JSONValue
    {
        var last: JSONValue = .null
        let done = try eventually(timeout: 20) {
            let matching = try events(uuid).filter {
                $0["status"]?.stringValue == status && $0["delivery_status"]?.stringValue == deliveryStatus
            }
            last = matching.last ?? .null
            return matching.count >= count
        }
        try #require(done, "no \(count)× \(deliveryStatus) \(status) webhook for \(uuid)")
        return last
    }

    /// A signed call to the sandbox's Cryptomus merchant API, as the operator's tooling would make it.
    func merchantAPI(_ path: String, _ body: JSONValue) throws -> HTTPResult {
        let key = stack.env.value("CRYPTOMUS_PAYMENT_KEY") ?? ""
        let bytes = Array(body.serialized().utf8)
        let sign = Hex.encode(Digest.md5(Array((Base64.encode(bytes) + key).utf8)))
        let base = stack.env.value("CRYPTOMUS_API_BASE") ?? ""
        return try HTTP.send(
            "POST", base + path,
            headers: [
                ("merchant", stack.env.value("CRYPTOMUS_MERCHANT_ID") ?? ""), ("sign", sign),
                ("Content-Type", "application/json"),
            ],
            body: bytes)
    }
}

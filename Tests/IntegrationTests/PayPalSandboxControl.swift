import Foundation
import PaymentsCore
import Testing

/// The sandbox's PayPal operator endpoints (`/control/paypal/...`) and the backend's PayPal routes, for the PayPal suite.
struct PayPalSandboxControl: Sendable {
    let stack: Stack

    static func connect() throws -> (Stack, PayPalSandboxControl) {
        let stack = try Stack.connect()
        return (stack, PayPalSandboxControl(stack: stack))
    }

    private func control(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let url = stack.env.sandboxURL + "/control/paypal/" + path
        let result = try body.map { try HTTP.postJSON(url, $0) } ?? HTTP.send(method, url)
        guard (200..<300).contains(result.status), let json = result.json else {
            throw SandboxError(description: "sandbox \(method) /control/paypal/\(path) answered \(result)")
        }
        return json
    }

    /// `paypal-createOrder`; fails the test unless it answers 200 with an id.
    func createOrder(token: String, amount: Int64) throws -> String {
        let result = try stack.api.post(
            "paypal-createOrder", .object([("amount", .int(amount)), ("recaptcha_token", .string("pass"))]),
            token: token)
        try #require(result.status == 200, "paypal-createOrder: \(result)")
        return try #require(result.json?["id"]?.stringValue, "no id in \(result)")
    }

    func capture(_ orderID: String, token: String) throws -> HTTPResult {
        try stack.api.post("paypal-captureOrder", .object([("order_id", .string(orderID))]), token: token)
    }

    /// A user with an order approved in the sandbox (events of the order not delivered unless `deliver`).
    func approvedOrder(amount: Int64, tag: String, mode: String? = nil, deliver: Bool = false) throws
        -> (uid: String, token: String, orderID: String)
    {
        let (uid, token) = try stack.newUser(tag)
        let orderID = try createOrder(token: token, amount: amount)
        try approve(orderID, deliver: deliver)
        if let mode { try captureMode(orderID, mode) }
        return (uid, token, orderID)
    }

    /// A user whose capture PayPal completed after holding it, with the `PAYMENT.CAPTURE.COMPLETED` event not
    /// delivered yet: the tests deliver it themselves, forged or genuine.
    func undeliveredCompletion(amount: Int64, tag: String) throws -> (uid: String, orderID: String, eventID: String) {
        let (uid, token, orderID) = try approvedOrder(amount: amount, tag: tag, mode: "PENDING")
        try #require(try capture(orderID, token: token).status == 202)
        let completed = try act("complete", orderID, deliver: false)
        return (uid, orderID, try #require(completed["sandbox_events"]?.arrayValue?.first?.stringValue))
    }

    func approve(_ orderID: String, deliver: Bool) throws {
        _ = try control("POST", "approve", .object([("id", .string(orderID)), ("deliver", .bool(deliver))]))
    }

    func captureMode(_ orderID: String, _ mode: String) throws {
        _ = try control("POST", "capture-mode", .object([("id", .string(orderID)), ("mode", .string(mode))]))
    }

    /// `complete`, `deny`, `refund`, `reverse`, `expire`, `void`; answers the object with `sandbox_events`.
    @discardableResult
    func act(_ action: String, _ id: String, amount: Int64? = nil, deliver: Bool = true) throws -> JSONValue {
        var body: [(String, JSONValue)] = [("id", .string(id)), ("deliver", .bool(deliver))]
        if let amount { body.append(("amount", .int(amount))) }
        return try control("POST", action, .object(body))
    }

    /// The sandbox's order, with `capture_calls` and `refunds`.
    func order(_ orderID: String) throws -> JSONValue { try control("GET", "orders/\(orderID)") }

    func captureID(_ orderID: String) throws -> String {
        try #require(
            try order(orderID).at("purchase_units")?.arrayValue?.first?.at("payments.captures")?.arrayValue?.first?[
                "id"]?
                .stringValue, "order \(orderID) has no capture")
    }

    func captureCalls(_ orderID: String) throws -> Int64 { try order(orderID)["capture_calls"]?.int64Value ?? -1 }

    /// Emitted events of an order (delivery facts plus the `event`), optionally of one type.
    func events(_ orderID: String, type: String? = nil) throws -> [JSONValue] {
        let list = try control("GET", "events?order_id=\(orderID)")["data"]?.arrayValue ?? []
        return list.filter { type == nil || $0["event_type"]?.stringValue == type }
    }

    func eventID(_ orderID: String, type: String) throws -> String {
        try #require(try events(orderID, type: type).last?["id"]?.stringValue, "no \(type) event for \(orderID)")
    }

    /// One synchronous delivery of a stored event, forged by `options`; answers the backend's HTTP status.
    func redeliver(_ eventID: String, _ options: [(String, JSONValue)] = []) throws -> Int64 {
        let answer = try control("POST", "redeliver", .object([("event_id", .string(eventID))] + options))
        return answer["http_status"]?.int64Value ?? -1
    }

    func certificateFetches(_ name: String) throws -> Int64 {
        try control("GET", "cert-fetches")["fetches"]?[name]?.int64Value ?? 0
    }

    /// Every request that reached the sandbox's PayPal port without credentials: the responder's certificate
    /// downloads, whatever path they asked for.
    func certificateRequestsTotal() throws -> Int64 {
        try #require(try control("GET", "cert-fetches")["total"]?.int64Value, "no total in cert-fetches")
    }

    func tokenRequests() throws -> Int64 { try control("GET", "token")["token_requests"]?.int64Value ?? -1 }

    /// Makes the OAuth token endpoint answer only after `milliseconds` (0: at once).
    func tokenHang(milliseconds: Int64) throws {
        _ = try control("POST", "token", .object([("hang_ms", .int(milliseconds))]))
    }

    func revokeTokens() throws { _ = try control("POST", "token", .object([("revoke", .bool(true))])) }

    /// Waits until every event of `type` for the order is reported delivered (2xx from the backend).
    func waitForDelivery(_ orderID: String, type: String, timeout: Double = 15) throws {
        let delivered = try eventually(timeout: timeout) {
            let records = try events(orderID, type: type)
            return !records.isEmpty && records.allSatisfy { $0["delivery_status"]?.stringValue == "delivered" }
        }
        try #require(delivered, "sandbox did not deliver \(type) for \(orderID) within \(timeout) s")
    }

    /// Runs `payments-sync reconcile` after making the order's session due.
    func reconcile(_ orderID: String) throws -> CommandResult {
        let session = try #require(try stack.db.session(externalID: orderID, gateway: "paypal"))
        try stack.db.makeSessionDue(sessionID: session.id)
        return try stack.paymentsSync(["reconcile"])
    }
}

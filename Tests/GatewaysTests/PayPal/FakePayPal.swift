import PaymentsCore
import Signing
import Synchronization

/// A scripted PayPal API for gateway unit tests: OAuth, Orders v2 with capture modes, captures and certificates.
final class FakePayPal: Sendable {
    static let base = "https://paypal.test"

    struct State {
        var tokens: Set<String> = []
        var tokenRequests = 0
        var expiresIn: Int64 = 3600
        var orders: [String: JSONValue] = [:]
        var captures: [String: JSONValue] = [:]
        /// Refunds and reversals by id, as `GET /v2/payments/refunds/{id}` answers them.
        var refunds: [String: JSONValue] = [:]
        var createKeys: [String: String] = [:]
        /// `PayPal-Request-Id` of every capture request, replays included.
        var captureKeys: [String] = []
        /// Request ids of captures PayPal performed → order id: a repeated id is answered with the order as it is
        /// now and captures nothing ("returns the latest status of the previous request", PayPal's idempotency guide).
        var capturedByKey: [String: String] = [:]
        /// Per order: COMPLETED (default), PENDING, DECLINED, INSTRUMENT_DECLINED, EXPIRED, ALREADY_CAPTURED,
        /// 5XX (fail once before capturing), 5XX_ALWAYS (fail before capturing, every time), 5XX_AFTER (capture,
        /// then answer 500), or a different `VALUE:<decimal>`.
        var modes: [String: String] = [:]
        var failNext: [String: Int] = [:]
        var echoOverride: String?
        var certificates: [String: String] = [:]
        var counter = 0
    }

    let state = Mutex(State())

    func makeTransport() -> FakeTransport { FakeTransport { request in try self.answer(request) } }

    func order(_ id: String) -> JSONValue { state.withLock { $0.orders[id] ?? .null } }

    func setStatus(_ id: String, _ status: String) {
        state.withLock { $0.orders[id] = $0.orders[id]?.setting("status", .string(status)) }
    }

    func approve(_ id: String) { setStatus(id, "APPROVED") }

    func setMode(_ id: String, _ mode: String) { state.withLock { $0.modes[id] = mode } }

    /// Changes a capture's status (and the copy inside its order).
    func setCaptureStatus(_ captureID: String, _ status: String) {
        state.withLock { s in
            guard let capture = s.captures[captureID] else { return }
            let updated = capture.setting("status", .string(status))
            s.captures[captureID] = updated
            if let orderID = FakePayPal.orderID(of: updated), let order = s.orders[orderID] {
                s.orders[orderID] = FakePayPal.withCaptures(order, [updated])
            }
        }
    }

    func captureIDs(order id: String) -> [String] {
        (order(id).at("purchase_units")?.arrayValue?.first?.at("payments.captures")?.arrayValue ?? []).compactMap {
            $0["id"]?.stringValue
        }
    }

    static func orderID(of capture: JSONValue) -> String? {
        (capture["links"]?.arrayValue ?? []).first { $0["rel"]?.stringValue == "up" }?["href"]?.stringValue?.split(
            separator: "/"
        ).last
            .map(String.init)
    }

    static func withCaptures(_ order: JSONValue, _ captures: [JSONValue]) -> JSONValue {
        guard var unit = order["purchase_units"]?.arrayValue?.first else { return order }
        unit = unit.setting("payments", .object([("captures", .array(captures))]))
        return order.setting("purchase_units", .array([unit]))
    }

    func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        if let pem = state.withLock({ $0.certificates[request.url] }) {
            return HTTPResponse(status: 200, body: Array(pem.utf8))
        }
        guard request.url.hasPrefix(FakePayPal.base) else { return HTTPResponse(status: 404) }
        let path = String(request.url.dropFirst(FakePayPal.base.count))
        return state.withLock { s in
            for (prefix, remaining) in s.failNext where remaining > 0 && path.hasPrefix(prefix) {
                s.failNext[prefix] = remaining - 1
                return FakeTransport.json(500, #"{"name":"INTERNAL_SERVER_ERROR"}"#)
            }
            if path == "/v1/oauth2/token" {
                guard request.header("Authorization") == "Basic " + Base64.encode(Array("cid-unit:secret-unit".utf8)),
                    String(decoding: request.body, as: UTF8.self) == "grant_type=client_credentials"
                else { return FakeTransport.json(401, #"{"error":"invalid_client"}"#) }
                s.tokenRequests += 1
                let token = "A21-token-\(s.tokenRequests)"
                s.tokens.insert(token)
                return FakeTransport.json(
                    200, #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(s.expiresIn)}"#)
            }
            guard let auth = request.header("Authorization"), auth.hasPrefix("Bearer "),
                s.tokens.contains(String(auth.dropFirst(7)))
            else { return FakeTransport.json(401, #"{"error":"invalid_token"}"#) }
            let parts = path.split(separator: "/").map(String.init)
            switch (request.method, parts.count) {
            case ("POST", 3) where path == "/v2/checkout/orders":
                return FakePayPal.create(&s, request)
            case ("GET", 4) where parts[1] == "checkout":
                guard let order = s.orders[parts[3]] else { return FakePayPal.notFound() }
                return .init(status: 200, body: Array(order.serialized().utf8))
            case ("POST", 5) where parts[1] == "checkout" && parts[4] == "capture":
                return FakePayPal.capture(&s, parts[3], request)
            case ("GET", 4) where parts[1] == "payments" && parts[2] == "captures":
                guard let capture = s.captures[parts[3]] else { return FakePayPal.notFound() }
                return .init(status: 200, body: Array(capture.serialized().utf8))
            case ("GET", 4) where parts[1] == "payments" && parts[2] == "refunds":
                guard let refund = s.refunds[parts[3]] else { return FakePayPal.notFound() }
                return .init(status: 200, body: Array(refund.serialized().utf8))
            default:
                return FakePayPal.notFound()
            }
        }
    }

    static func notFound() -> HTTPResponse {
        FakeTransport.json(404, #"{"name":"RESOURCE_NOT_FOUND","details":[{"issue":"INVALID_RESOURCE_ID"}]}"#)
    }

    static func issue(_ issue: String) -> HTTPResponse {
        FakeTransport.json(422, #"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"\#(issue)"}]}"#)
    }

    static func create(_ s: inout State, _ request: HTTPRequest) -> HTTPResponse {
        if let key = request.header("PayPal-Request-Id"), let existing = s.createKeys[key],
            let order = s.orders[existing]
        {
            return .init(status: 200, body: Array(order.serialized().utf8))
        }
        guard let body = try? JSONValue.parse(request.body), let unit = body["purchase_units"]?.arrayValue?.first else {
            return FakeTransport.json(400, #"{"name":"INVALID_REQUEST"}"#)
        }
        s.counter += 1
        let id = "ORDER\(s.counter)"
        let custom = s.echoOverride.map { JSONValue.string($0) } ?? unit["custom_id"] ?? .null
        let order: JSONValue = .object([
            ("id", .string(id)), ("intent", body["intent"] ?? .null), ("status", .string("CREATED")),
            (
                "purchase_units",
                .array([
                    .object([
                        ("reference_id", unit["reference_id"] ?? .null), ("custom_id", custom),
                        ("amount", unit["amount"] ?? .null),
                    ])
                ])
            ),
            (
                "links",
                .array([
                    .object([
                        ("href", .string("\(base)/v2/checkout/orders/\(id)")), ("rel", .string("self")),
                        ("method", .string("GET")),
                    ]),
                    .object([
                        ("href", .string("https://paypal.test/checkoutnow?token=\(id)")), ("rel", .string("approve")),
                        ("method", .string("GET")),
                    ]),
                ])
            ),
        ])
        s.orders[id] = order
        if let key = request.header("PayPal-Request-Id") { s.createKeys[key] = id }
        return .init(status: 201, body: Array(order.serialized().utf8))
    }

    static func capture(_ s: inout State, _ id: String, _ request: HTTPRequest) -> HTTPResponse {
        guard let order = s.orders[id] else { return notFound() }
        let key = request.header("PayPal-Request-Id")
        if let key { s.captureKeys.append(key) }
        if let key, s.capturedByKey[key] == id {
            return .init(status: 200, body: Array(order.serialized().utf8))
        }
        let mode = s.modes[id] ?? "COMPLETED"
        if mode == "5XX" || mode == "5XX_ALWAYS" {
            if mode == "5XX" { s.modes[id] = "COMPLETED" }
            return FakeTransport.json(500, #"{"name":"INTERNAL_SERVER_ERROR"}"#)
        }
        switch order["status"]?.stringValue {
        case "COMPLETED": return issue("ORDER_ALREADY_CAPTURED")
        case "APPROVED": break
        default: return issue("ORDER_NOT_APPROVED")
        }
        if mode == "INSTRUMENT_DECLINED" || mode == "EXPIRED" {
            return issue(mode == "EXPIRED" ? "ORDER_EXPIRED" : mode)
        }
        let unit = order["purchase_units"]?.arrayValue?.first ?? .null
        var amount = unit["amount"] ?? .null
        if mode.hasPrefix("VALUE:") { amount = amount.setting("value", .string(String(mode.dropFirst(6)))) }
        let captureID = "CAP\(id)"
        let status = ["PENDING", "DECLINED"].contains(mode) ? mode : "COMPLETED"
        let capture: JSONValue = .object([
            ("id", .string(captureID)), ("status", .string(status)), ("amount", amount),
            ("custom_id", unit["custom_id"] ?? .null),
            (
                "links",
                .array([.object([("href", .string("\(base)/v2/checkout/orders/\(id)")), ("rel", .string("up"))])])
            ),
        ])
        s.captures[captureID] = capture
        let completed = withCaptures(order, [capture]).setting("status", .string("COMPLETED"))
        s.orders[id] = completed
        if let key { s.capturedByKey[key] = id }
        if mode == "ALREADY_CAPTURED" { return issue("ORDER_ALREADY_CAPTURED") }
        if mode == "5XX_AFTER" { return FakeTransport.json(500, #"{"name":"INTERNAL_SERVER_ERROR"}"#) }
        return .init(status: 201, body: Array(completed.serialized().utf8))
    }
}

import PaymentsCore
import Synchronization

/// A scripted Stripe API for gateway unit tests: PaymentIntents, reviews, refunds and capture counting.
final class FakeStripe: Sendable {
    struct State {
        var intents: [String: JSONValue] = [:]
        var reviews: [String: JSONValue] = [:]
        /// Refunds by id, as `GET /v1/refunds/{id}` answers them; the list by charge is derived, newest first.
        var refunds: [String: JSONValue] = [:]
        var refundOrder: [String] = []
        var captureKeys: [String] = []
        var failNext: [String: Int] = [:]
        var sessionOverride: String?
        var counter = 0
    }

    let state = Mutex(State())

    /// A transport answering from this fake.
    func makeTransport() -> FakeTransport {
        FakeTransport { request in try self.answer(request) }
    }

    func intent(_ id: String) -> StripePaymentIntentSnapshot {
        state.withLock { StripePaymentIntentSnapshot(json: $0.intents[id] ?? .null) }
    }

    func setIntent(_ id: String, _ update: (JSONValue) -> JSONValue) {
        state.withLock { $0.intents[id] = update($0.intents[id] ?? .null) }
    }

    /// Stores (or replaces) a refund as Stripe now holds it.
    func setRefund(_ refund: JSONValue) {
        guard let id = refund["id"]?.stringValue else { return }
        state.withLock { s in
            if s.refunds[id] == nil { s.refundOrder.append(id) }
            s.refunds[id] = refund
        }
    }

    /// Moves an intent to requires_capture, optionally with an open review.
    func authorize(_ id: String, review: Bool = false) {
        state.withLock { s in
            guard let intent = s.intents[id] else { return }
            var updated = intent.setting("status", .string("requires_capture")).setting(
                "latest_charge", .string("ch_\(id)"))
            updated = updated.setting("amount_capturable", intent["amount"] ?? .int(0))
            if review {
                let reviewID = "prv_\(id)"
                s.reviews[reviewID] = .object([
                    ("id", .string(reviewID)), ("object", .string("review")), ("open", .bool(true)),
                ])
                updated = updated.setting("review", .string(reviewID))
            }
            s.intents[id] = updated
        }
    }

    func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.header("authorization") == "Bearer sk_test_unit" else {
            return FakeTransport.json(401, #"{"error":{"type":"invalid_request_error"}}"#)
        }
        let path = String(request.url.dropFirst("https://stripe.test".count))
        return state.withLock { s in
            for (prefix, remaining) in s.failNext where remaining > 0 && path.hasPrefix(prefix) {
                s.failNext[prefix] = remaining - 1
                return FakeTransport.json(500, #"{"error":{"type":"api_error"}}"#)
            }
            if request.method == "POST" && path == "/v1/payment_intents" {
                s.counter += 1
                let form = request.form
                let id = "pi_unit\(s.counter)"
                let intent: JSONValue = .object([
                    ("id", .string(id)), ("object", .string("payment_intent")),
                    ("status", .string("requires_payment_method")),
                    ("amount", .number(form["amount"] ?? "0")), ("amount_received", .int(0)),
                    ("amount_capturable", .int(0)),
                    ("currency", .string(form["currency"] ?? "")), ("client_secret", .string("\(id)_secret_x")),
                    (
                        "metadata",
                        .object([
                            ("uid", .string(form["metadata[uid]"] ?? "")),
                            ("session_id", .string(s.sessionOverride ?? form["metadata[session_id]"] ?? "")),
                        ])
                    ),
                    ("review", .null), ("latest_charge", .null),
                ])
                s.intents[id] = intent
                return FakeTransport.json(200, intent.serialized())
            }
            let parts = path.split(separator: "/").map(String.init)
            if parts.count >= 3, parts[1] == "payment_intents", let intent = s.intents[parts[2]] {
                if request.method == "GET" { return FakeTransport.json(200, intent.serialized()) }
                if parts.count == 4, parts[3] == "capture" {
                    guard intent["status"]?.stringValue == "requires_capture" else {
                        return FakeTransport.json(
                            400, #"{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state"}}"#
                        )
                    }
                    s.captureKeys.append(request.header("idempotency-key") ?? "")
                    let captured = intent.setting("status", .string("succeeded")).setting(
                        "amount_received", intent["amount"] ?? .int(0)
                    )
                    .setting("amount_capturable", .int(0))
                    s.intents[parts[2]] = captured
                    return FakeTransport.json(200, captured.serialized())
                }
                if parts.count == 4, parts[3] == "cancel" {
                    let canceled = intent.setting("status", .string("canceled"))
                    s.intents[parts[2]] = canceled
                    return FakeTransport.json(200, canceled.serialized())
                }
            }
            if parts.count == 3, parts[1] == "reviews", let review = s.reviews[parts[2]] {
                return FakeTransport.json(200, review.serialized())
            }
            if parts.count == 2, parts[1].hasPrefix("refunds?charge=") {
                let charge = String(parts[1].dropFirst("refunds?charge=".count).prefix { $0 != "&" })
                let listed = s.refundOrder.reversed().compactMap { s.refunds[$0] }.filter {
                    $0["charge"]?.stringValue == charge
                }
                return FakeTransport.json(
                    200, JSONValue.object([("object", .string("list")), ("data", .array(listed))]).serialized())
            }
            if request.method == "GET", parts.count == 3, parts[1] == "refunds", let refund = s.refunds[parts[2]] {
                return FakeTransport.json(200, refund.serialized())
            }
            return FakeTransport.json(404, #"{"error":{"type":"invalid_request_error","code":"resource_missing"}}"#)
        }
    }
}

/// Read-only view of a fake intent for assertions.
struct StripePaymentIntentSnapshot {
    let json: JSONValue
    var status: String? { json["status"]?.stringValue }
}

/// Accepts any bearer token as the given user (authentication is tested in PaymentsCoreTests).
struct FixedAuthenticator: Authenticator {
    let user: AuthenticatedUser
    func authenticate(authorizationHeader: String?) throws(APIError) -> AuthenticatedUser { user }
}

/// reCAPTCHA stand-in that accepts the token "pass" only.
struct PassRecaptcha: RecaptchaChecking {
    func check(token: String?, platform: String, expectedActions: [String]) throws(APIError) {
        guard token == "pass" else { throw APIError.badField("recaptcha_token", "failed verification") }
    }
}

import PaymentsCore
import Synchronization

/// A scripted Stripe API for gateway unit tests: PaymentIntents, reviews, refunds, capture counting, and
/// `Idempotency-Key` replay as Stripe documents it (same key and parameters: the stored answer; other parameters:
/// 400 `idempotency_error`), with failures injected before, during or after the work.
final class FakeStripe: Sendable {
    /// How an injected failure of one call looks to the caller (research §1.5: Stripe stores the status and body of
    /// the first request with an `Idempotency-Key` once the endpoint began, 500s included, and replays them).
    enum Fault: Sendable {
        /// The request never reached Stripe: nothing is done or stored (a 500 from a proxy, a refused connection).
        case before
        /// Stripe failed while executing: nothing is done, and the 500 is stored under the request's key.
        case stored
        /// Stripe did the work and stored its answer, which was lost on the way back (the connection dropped).
        case answerLost
    }

    struct State {
        var intents: [String: JSONValue] = [:]
        var reviews: [String: JSONValue] = [:]
        /// Refunds by id, as `GET /v1/refunds/{id}` answers them; the list by charge is derived, newest first.
        var refunds: [String: JSONValue] = [:]
        var refundOrder: [String] = []
        /// `Idempotency-Key` of every capture request that reached Stripe, replays included.
        var captureAttempts: [String] = []
        /// `Idempotency-Key` of every capture Stripe performed.
        var captureKeys: [String] = []
        /// The next calls whose path starts with a prefix fail `.before` they reach Stripe.
        var failNext: [String: Int] = [:]
        /// The next call whose path starts with a prefix fails as given (one use each).
        var faults: [String: [Fault]] = [:]
        /// Stored answers by `Idempotency-Key`, with the request they answered (path and body).
        var idempotency: [String: (request: String, response: HTTPResponse)] = [:]
        var sessionOverride: String?
        var counter = 0
        /// The status `POST /v1/refunds` gives the refunds it makes.
        var newRefundStatus = "succeeded"
        /// The form of every `POST /v1/refunds` Stripe performed.
        var refundRequests: [[String: String]] = []
    }

    /// The answer of a request whose effect happened but whose answer was lost (the transport fails).
    struct LostAnswer: Error {}

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

    /// Makes the next call whose path starts with `prefix` fail as `fault` says.
    func fault(_ prefix: String, _ fault: Fault) {
        state.withLock { $0.faults[prefix, default: []].append(fault) }
    }

    func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.header("authorization") == "Bearer sk_test_unit" else {
            return FakeTransport.json(401, #"{"error":{"type":"invalid_request_error"}}"#)
        }
        let path = String(request.url.dropFirst("https://stripe.test".count))
        let (response, lost) = state.withLock { s -> (HTTPResponse, Bool) in
            if request.method == "POST" && path.hasSuffix("/capture") {
                s.captureAttempts.append(request.header("idempotency-key") ?? "")
            }
            for (prefix, remaining) in s.failNext where remaining > 0 && path.hasPrefix(prefix) {
                s.failNext[prefix] = remaining - 1
                return (FakeTransport.json(500, #"{"error":{"type":"api_error"}}"#), false)
            }
            var fault: Fault?
            for (prefix, pending) in s.faults where !pending.isEmpty && path.hasPrefix(prefix) {
                fault = s.faults[prefix]?.removeFirst()
                break
            }
            if fault == .before { return (FakeTransport.json(500, #"{"error":{"type":"api_error"}}"#), false) }
            let key = request.method == "POST" ? request.header("idempotency-key") : nil
            let fingerprint = path + "?" + String(decoding: request.body, as: UTF8.self)
            if let key, let stored = s.idempotency[key] {
                guard stored.request == fingerprint else {
                    return (
                        FakeTransport.json(
                            400,
                            #"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}"#
                        ), false
                    )
                }
                return (stored.response, fault == .answerLost)
            }
            let response =
                fault == .stored
                ? FakeTransport.json(500, #"{"error":{"type":"api_error"}}"#) : FakeStripe.execute(&s, request, path)
            if let key { s.idempotency[key] = (fingerprint, response) }
            return (response, fault == .answerLost)
        }
        if lost { throw LostAnswer() }
        return response
    }

    /// Performs one API call on the state.
    private static func execute(_ s: inout State, _ request: HTTPRequest, _ path: String) -> HTTPResponse {
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
        if request.method == "POST" && path == "/v1/refunds" {
            let form = request.form
            s.counter += 1
            s.refundRequests.append(form)
            let intent = form["payment_intent"] ?? ""
            let refund: JSONValue = .object([
                ("id", .string("re_unit\(s.counter)")), ("object", .string("refund")),
                ("amount", .number(form["amount"] ?? "0")), ("status", .string(s.newRefundStatus)),
                ("currency", .string("usd")), ("payment_intent", .string(intent)), ("charge", .string("ch_\(intent)")),
            ])
            s.refunds["re_unit\(s.counter)"] = refund
            s.refundOrder.append("re_unit\(s.counter)")
            return FakeTransport.json(200, refund.serialized())
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

import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

@Suite("Stripe emulator")
struct StripeEmulatorTests {
    static let auth = ("Authorization", "Bearer sk_test_x")

    func api(_ stripe: StripeEmulator, _ method: String, _ path: String, _ body: String = "", key: String? = nil)
        -> SandboxResponse
    {
        var headers = [Self.auth]
        if let key { headers.append(("Idempotency-Key", key)) }
        return stripe.handle(makeRequest(method, path, headers: headers, body: body))
    }

    func control(_ stripe: StripeEmulator, _ action: String, _ body: String) -> SandboxResponse {
        stripe.control(makeRequest("POST", "/control/stripe/\(action)", body: body), [action])
    }

    func makeStripe(target: String? = nil) -> StripeEmulator {
        StripeEmulator(
            secretKey: "sk_test_x", webhookTarget: target, webhookSecret: "whsec_test", logger: Logger(label: "test"))
    }

    @Test("create → pay → capture; a second capture is payment_intent_unexpected_state; capture_count is 1")
    func lifecycle() throws {
        let stripe = makeStripe()
        let created = api(
            stripe, "POST", "/v1/payment_intents", "amount=1000&currency=usd&capture_method=manual&metadata[uid]=u1")
        #expect(created.status == 200)
        let intent = try json(created)
        let id = try #require(intent["id"]?.stringValue)
        #expect(intent["status"]?.stringValue == "requires_payment_method")
        #expect(intent.at("metadata.uid")?.stringValue == "u1")
        #expect(intent["client_secret"]?.stringValue?.hasPrefix(id + "_secret_") == true)
        let paid = try json(control(stripe, "pay", #"{"id":"\#(id)"}"#))
        #expect(paid["status"]?.stringValue == "requires_capture")
        #expect(paid["amount_capturable"]?.int64Value == 1000)
        let captured = try json(api(stripe, "POST", "/v1/payment_intents/\(id)/capture"))
        #expect(captured["status"]?.stringValue == "succeeded")
        #expect(captured["amount_received"]?.int64Value == 1000)
        let again = api(stripe, "POST", "/v1/payment_intents/\(id)/capture")
        #expect(again.status == 400)
        #expect(try json(again).at("error.code")?.stringValue == "payment_intent_unexpected_state")
        let held = try json(stripe.control(makeRequest("GET", "/control/stripe/intents/\(id)"), ["intents", id]))
        #expect(held["capture_count"]?.int64Value == 1)
    }

    @Test("Idempotency-Key replays the identical answer; other params under the same key are idempotency_error")
    func idempotency() throws {
        let stripe = makeStripe()
        let first = api(stripe, "POST", "/v1/payment_intents", "amount=700&currency=usd", key: "k1")
        let replay = api(stripe, "POST", "/v1/payment_intents", "currency=usd&amount=700", key: "k1")
        #expect(replay.body == first.body)
        #expect(replay.headers.contains { $0.0 == "Idempotent-Replayed" && $0.1 == "true" })
        let mismatch = api(stripe, "POST", "/v1/payment_intents", "amount=701&currency=usd", key: "k1")
        #expect(mismatch.status == 400)
        #expect(try json(mismatch).at("error.type")?.stringValue == "idempotency_error")
        // Validation failures are not stored: the key stays usable.
        #expect(api(stripe, "POST", "/v1/payment_intents", "amount=abc&currency=usd", key: "k2").status == 400)
        #expect(api(stripe, "POST", "/v1/payment_intents", "amount=5&currency=usd", key: "k2").status == 200)
    }

    @Test("a wrong key is 401; unknown params are parameter_unknown; injected failures answer their status")
    func errors() throws {
        let stripe = makeStripe()
        let unauthorized = stripe.handle(
            makeRequest("GET", "/v1/payment_intents/pi_x", headers: [("Authorization", "Bearer sk_other")]))
        #expect(unauthorized.status == 401)
        let unknown = api(stripe, "POST", "/v1/payment_intents", "amount=5&currency=usd&bogus=1")
        #expect(try json(unknown).at("error.code")?.stringValue == "parameter_unknown")
        #expect(api(stripe, "GET", "/v1/payment_intents/pi_missing").status == 404)
        _ = control(stripe, "fail", #"{"endpoint":"create","times":1,"status":503}"#)
        #expect(api(stripe, "POST", "/v1/payment_intents", "amount=5&currency=usd").status == 503)
        #expect(api(stripe, "POST", "/v1/payment_intents", "amount=5&currency=usd").status == 200)
    }

    @Test("refunds adjust the charge only when succeeded and list newest first")
    func refunds() throws {
        let stripe = makeStripe()
        let id = try #require(
            try json(api(stripe, "POST", "/v1/payment_intents", "amount=1000&currency=usd"))["id"]?.stringValue)
        _ = control(stripe, "pay", #"{"id":"\#(id)"}"#)
        let full = try json(control(stripe, "refund", #"{"id":"\#(id)","amount":300}"#))
        let pending = try json(control(stripe, "refund", #"{"id":"\#(id)","amount":200,"status":"pending"}"#))
        #expect(control(stripe, "refund", #"{"id":"\#(id)","amount":600}"#).status == 400)
        let charge = try #require(full["charge"]?.stringValue)
        #expect(try json(api(stripe, "GET", "/v1/charges/\(charge)"))["amount_refunded"]?.int64Value == 300)
        let refundID = try #require(pending["id"]?.stringValue)
        _ = control(stripe, "refund-update", #"{"id":"\#(refundID)","status":"succeeded"}"#)
        #expect(try json(api(stripe, "GET", "/v1/charges/\(charge)"))["amount_refunded"]?.int64Value == 500)
        let list = try json(api(stripe, "GET", "/v1/refunds?charge=\(charge)"))
        #expect(list["data"]?.arrayValue?.first?["id"]?.stringValue == refundID)
        #expect(list["has_more"]?.boolValue == false)
    }

    @Test(
        "POST /v1/refunds: what is left by default, never more (amount_too_large, charge_already_refunded), keyed replay, refund events"
    )
    func createRefunds() throws {
        let stripe = makeStripe()
        let id = try #require(
            try json(api(stripe, "POST", "/v1/payment_intents", "amount=1000&currency=usd"))["id"]?.stringValue)
        _ = control(stripe, "pay", #"{"id":"\#(id)"}"#)
        let form = "payment_intent=\(id)&amount=400&reason=requested_by_customer&metadata[operator_reason]=why"
        let created = api(stripe, "POST", "/v1/refunds", form, key: "op-1")
        #expect(created.status == 200)
        let refund = try json(created)
        #expect(refund["object"]?.stringValue == "refund" && refund["status"]?.stringValue == "succeeded")
        #expect(refund["amount"]?.int64Value == 400 && refund["payment_intent"]?.stringValue == id)
        #expect(refund["reason"]?.stringValue == "requested_by_customer")
        #expect(refund.at("metadata.operator_reason")?.stringValue == "why")
        let replay = api(stripe, "POST", "/v1/refunds", form, key: "op-1")
        #expect(replay.body == created.body)
        let beyond = api(stripe, "POST", "/v1/refunds", "payment_intent=\(id)&amount=601")
        #expect(beyond.status == 400)
        #expect(try json(beyond).at("error.code")?.stringValue == "amount_too_large")
        #expect(api(stripe, "POST", "/v1/refunds", "payment_intent=\(id)&reason=because").status == 400)
        #expect(api(stripe, "POST", "/v1/refunds", "amount=5").status == 400)
        let rest = try json(api(stripe, "POST", "/v1/refunds", "payment_intent=\(id)"))
        #expect(rest["amount"]?.int64Value == 600)
        let none = api(stripe, "POST", "/v1/refunds", "payment_intent=\(id)&amount=1")
        #expect(try json(none).at("error.code")?.stringValue == "charge_already_refunded")
        let types = stripe.state.withLock { $0.events.map(\.type) }
        #expect(
            types.filter { $0 == "refund.created" }.count == 2 && types.filter { $0 == "charge.refunded" }.count == 2)
    }

    @Test("put-refund stores a refund as given, served by GET /v1/refunds/{id}, emitting nothing")
    func putRefund() throws {
        let stripe = makeStripe()
        let put = control(stripe, "put-refund", #"{"id":"re_put","payment_intent":"CAP-1","amount":99999999999}"#)
        #expect(put.status == 200)
        let refund = try json(api(stripe, "GET", "/v1/refunds/re_put"))
        #expect(refund["payment_intent"]?.stringValue == "CAP-1" && refund["amount"]?.int64Value == 99_999_999_999)
        #expect(refund["status"]?.stringValue == "succeeded" && refund["currency"]?.stringValue == "usd")
        #expect(stripe.state.withLock { $0.events.isEmpty })
        #expect(control(stripe, "put-refund", #"{"payment_intent":"CAP-1","amount":1e400}"#).status == 400)
        #expect(
            control(stripe, "put-refund", #"{"payment_intent":"CAP-1","amount":-9223372036854775808}"#).status == 400)
        #expect(control(stripe, "put-refund", #"{"id":"pi_x","payment_intent":"CAP-1","amount":1}"#).status == 400)
    }

    @Test("events reach the webhook target in order, signed with the endpoint secret")
    func webhookDelivery() throws {
        let receiver = RecordingService()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let stripe = makeStripe(target: "http://127.0.0.1:\(server.port)/api")
        let id = try #require(
            try json(api(stripe, "POST", "/v1/payment_intents", "amount=900&currency=usd&capture_method=manual"))["id"]?
                .stringValue)
        _ = control(stripe, "pay", #"{"id":"\#(id)","review":true}"#)
        let received = receiver.wait(for: 2)
        try #require(received.count == 2)
        var types: [String] = []
        for request in received {
            #expect(request.path == "/api/stripe-handleWebhookEvents")
            let header = try #require(request.header("stripe-signature"))
            let parts = header.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
            let t = try #require(parts.first { $0.first == "t" }?.last)
            let v1 = try #require(parts.first { $0.first == "v1" }?.last)
            let expected = Hex.encode(
                HMAC.sha256(key: Array("whsec_test".utf8), message: Array("\(t).".utf8) + request.body))
            #expect(v1 == expected)
            let event = try JSONValue.parse(request.body)
            #expect(event["object"]?.stringValue == "event")
            types.append(event["type"]?.stringValue ?? "")
        }
        #expect(types == ["review.opened", "payment_intent.amount_capturable_updated"])
        let events = try json(stripe.events(makeRequest("GET", "/control/stripe/events?payment_intent=\(id)")))
        #expect(events["data"]?.arrayValue?.count == 2)
    }
}

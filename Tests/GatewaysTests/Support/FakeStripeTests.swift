import PaymentsCore
import Testing

/// The Stripe double keeps Stripe's idempotency rules, so a handler that reuses a key wrongly fails here as it
/// would against Stripe (research §1.5).
@Suite struct FakeStripeTests {
    private func post(_ stripe: FakeStripe, _ path: String, _ body: String, key: String) throws -> HTTPResponse {
        try stripe.answer(
            HTTPRequest(
                method: "POST", url: "https://stripe.test" + path,
                headers: [("Authorization", "Bearer sk_test_unit"), ("Idempotency-Key", key)], body: Array(body.utf8)))
    }

    @Test func aKeyReplaysItsFirstAnswerAndRefusesOtherParameters() throws {
        let stripe = FakeStripe()
        let form = "amount=1500&currency=usd&metadata%5Buid%5D=u"
        let first = try post(stripe, "/v1/payment_intents", form, key: "pi-create-a")
        let again = try post(stripe, "/v1/payment_intents", form, key: "pi-create-a")
        #expect(first.status == 200 && again.status == 200 && again.body == first.body)
        #expect(stripe.state.withLock { $0.intents.count } == 1)
        let other = try post(stripe, "/v1/payment_intents", "amount=2000&currency=usd", key: "pi-create-a")
        #expect(other.status == 400 && other.json?.at("error.type")?.stringValue == "idempotency_error")
        #expect(stripe.state.withLock { $0.intents.count } == 1)
    }

    @Test func injectedFailuresHappenBeforeDuringOrAfterTheWork() throws {
        let stripe = FakeStripe()
        let form = "amount=1500&currency=usd"
        stripe.fault("/v1/payment_intents", .before)
        #expect(try post(stripe, "/v1/payment_intents", form, key: "k1").status == 500)
        #expect(try post(stripe, "/v1/payment_intents", form, key: "k1").status == 200)
        stripe.fault("/v1/payment_intents", .stored)
        #expect(try post(stripe, "/v1/payment_intents", form, key: "k2").status == 500)
        #expect(try post(stripe, "/v1/payment_intents", form, key: "k2").status == 500)
        stripe.fault("/v1/payment_intents", .answerLost)
        #expect(throws: FakeStripe.LostAnswer.self) { try post(stripe, "/v1/payment_intents", form, key: "k3") }
        #expect(try post(stripe, "/v1/payment_intents", form, key: "k3").status == 200)
        #expect(stripe.state.withLock { $0.intents.count } == 2)
    }
}

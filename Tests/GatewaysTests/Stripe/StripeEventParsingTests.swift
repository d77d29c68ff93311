import PaymentsCore
import Testing

@testable import Gateways

/// `StripeEvent.parse` builds only the fields a PaymentIntent event is read by; it must read every body exactly as
/// the full parse does.
@Suite struct StripeEventParsingTests {
    static func body(type: String, intent: String) -> [UInt8] {
        Array(
            #"{"id":"evt_9","object":"event","api_version":"2026-06-24","created":1,"data":{"object":\#(intent)},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"\#(type)"}"#
                .utf8)
    }

    static let intents = [
        #"{"id":"pi_1","object":"payment_intent","amount":1500,"amount_capturable":0,"amount_received":1500,"capture_method":"manual","client_secret":"pi_1_secret","currency":"usd","metadata":{"session_id":"s-1","uid":"u1"},"payment_method_types":["card"],"review":null,"status":"succeeded"}"#,
        #"{"object":"payment_intent","id":"pi_2","status":"requires_capture","amount":"12","review":{"id":"prv_1","open":true},"metadata":{"uid":"u\u00e92","uid":"second"}}"#,
        #"{"object":"payment_intent","id":"pi_3","status":"canceled","review":"prv_2","metadata":null,"amount_received":-5}"#,
        #"{"object":"refund","id":"re_1","status":"succeeded","amount":500,"currency":"usd","payment_intent":"pi_1"}"#,
    ]
    static let types = [
        "payment_intent.succeeded", "payment_intent.canceled", "payment_intent.amount_capturable_updated",
        "charge.refunded", "refund.created",
    ]

    /// What a full parse reads from `body`: the event and, for PaymentIntent events, the intent.
    static func reference(_ body: [UInt8]) -> (event: StripeEvent, intent: StripePaymentIntent?)? {
        guard let json = try? JSONValue.parse(body), let event = StripeEvent(json) else { return nil }
        return (event, StripePaymentIntent(event.object))
    }

    @Test func readsEveryEventAsTheFullParseDoes() throws {
        for type in Self.types {
            for intent in Self.intents {
                let body = Self.body(type: type, intent: intent)
                let expected = try #require(Self.reference(body))
                let event = try #require(StripeEvent.parse(body))
                #expect(event.id == expected.event.id && event.type == expected.event.type)
                #expect(StripePaymentIntent(event.object) == expected.intent)
                if !StripeEvent.paymentIntentTypes.contains(type) {
                    // Other events are read from the whole object.
                    #expect(event.object == expected.event.object)
                }
            }
        }
    }

    @Test func refusesWhatTheFullParseRefuses() {
        let body = Self.body(type: "payment_intent.succeeded", intent: Self.intents[0])
        var mismatches = 0
        for cut in 0..<body.count {
            let prefix = Array(body[..<cut])
            if (StripeEvent.parse(prefix) == nil) != (Self.reference(prefix) == nil) { mismatches += 1 }
        }
        for position in stride(from: 0, to: body.count, by: 2) {
            for byte in Array(#"{}":,x"#.utf8) {
                var changed = body
                changed[position] = byte
                let fast = StripeEvent.parse(changed)
                let full = Self.reference(changed)
                if (fast == nil) != (full == nil) {
                    mismatches += 1
                } else if let fast, let full,
                    fast.id != full.event.id || StripePaymentIntent(fast.object) != full.intent
                {
                    mismatches += 1
                }
            }
        }
        #expect(mismatches == 0)
        #expect(StripeEvent.parse(Array(#"{"object":"event","id":"evt_1","type":"x"}"#.utf8)) == nil)
    }
}

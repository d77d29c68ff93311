import Foundation
import PaymentsCore
import Signing

/// Builds and signs Stripe deliveries the way Stripe does (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`),
/// so tests can post their own events, forged ones included.
enum WebhookSigner {
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// The `Stripe-Signature` header for `body` under `secret` at `timestamp`.
    static func header(body: [UInt8], secret: String, timestamp: Int64 = now()) -> String {
        let mac = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }

    /// A Stripe event envelope around `object` with a fresh `evt_` id unless one is given.
    static func event(type: String, object: JSONValue, id: String = "evt_itest_\(TestIDs.random(24))") -> JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("event")), ("api_version", .string("2026-06-24.dahlia")),
            ("created", .int(now())), ("data", .object([("object", object)])), ("livemode", .bool(false)),
            ("pending_webhooks", .int(1)), ("request", .object([("id", .null), ("idempotency_key", .null)])),
            ("type", .string(type)),
        ])
    }

    /// POSTs `body` to `stripe-handleWebhookEvents` with the given header (nil = no header at all).
    static func deliver(_ api: API, body: [UInt8], signature: String?) throws -> HTTPResult {
        try api.postRaw(
            "stripe-handleWebhookEvents", body, token: nil, headers: signature.map { [("Stripe-Signature", $0)] } ?? [])
    }

    /// Signs `body` with the stack's webhook secret and delivers it.
    static func deliverSigned(_ api: API, body: [UInt8]) throws -> HTTPResult {
        try deliver(api, body: body, signature: header(body: body, secret: api.env.webhookSecret))
    }
}

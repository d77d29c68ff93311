import Gateways
import Signing

extension StripeSignature {
    /// A `Stripe-Signature` header for `body` at `timestamp`, signed as Stripe signs (`t=…,v1=<HMAC-SHA256 hex>`), so
    /// tests can deliver genuine and forged webhooks.
    static func header(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }
}

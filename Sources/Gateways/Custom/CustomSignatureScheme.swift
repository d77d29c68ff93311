/// How an operator-configured gateway signs its notifications (`GW_<ID>_SCHEME`, DESIGN §2).
public enum CustomSignatureScheme: String, Sendable, CaseIterable {
    /// The signature header holds the lowercase hex HMAC-SHA256 of the raw body.
    case hex
    /// The signature header holds `sha256=<hex>`, the same HMAC-SHA256 of the raw body.
    case sha256
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64>` entries) over
    /// `<id>.<timestamp>.<body>`, keyed with the base64 part of a `whsec_` secret.
    case standard
}

import PaymentsCore

/// Stripe settings (DESIGN §9), read once at start-up.
public struct StripeConfiguration: Sendable {
    /// The API version every request pins; webhook payloads follow the endpoint's version, set to the same.
    public static let apiVersion = "2026-06-24.dahlia"

    public var secretKey: Secret
    public var publishableKey: String
    /// Several during a rotation; a delivery is accepted if any of them signed it.
    public var webhookSecrets: [Secret]
    public var webhookToleranceSeconds: Int64
    public var apiBase: String

    public init(
        secretKey: Secret, publishableKey: String, webhookSecrets: [Secret], webhookToleranceSeconds: Int64 = 300,
        apiBase: String = "https://api.stripe.com"
    ) {
        self.secretKey = secretKey
        self.publishableKey = publishableKey
        self.webhookSecrets = webhookSecrets
        self.webhookToleranceSeconds = webhookToleranceSeconds
        self.apiBase = apiBase
    }

    /// Reads `STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY`, `STRIPE_WEBHOOK_SECRET` (comma-separated),
    /// `STRIPE_WEBHOOK_TOLERANCE_SECONDS` (300) and `STRIPE_API_BASE`.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let secrets = try config.requiredList("STRIPE_WEBHOOK_SECRET")
        self.init(
            secretKey: Secret(try config.string("STRIPE_SECRET_KEY")),
            publishableKey: try config.string("STRIPE_PUBLISHABLE_KEY"),
            webhookSecrets: secrets.map(Secret.init),
            webhookToleranceSeconds: Int64(
                try config.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default: 300, range: 0...86_400)),
            apiBase: try config.baseURL("STRIPE_API_BASE", default: "https://api.stripe.com"))
    }
}

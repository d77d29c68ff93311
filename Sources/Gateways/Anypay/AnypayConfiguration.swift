import PaymentsCore

/// Anypay (anypay.io) settings (DESIGN §9), read once at start-up.
public struct AnypayConfiguration: Sendable {
    /// The project id (`merchant_id`), digits only.
    public var merchantID: String
    /// The project's secret key: signs the payment form and verifies notifications.
    public var secretKey: Secret
    /// The API id and key, for the merchant API (`payments`, re-reading a payment).
    public var apiID: String
    public var apiKey: Secret
    /// Notification source addresses; empty accepts any.
    public var allowedIPs: SourceAllowList
    public var apiBase: String

    public init(
        merchantID: String, secretKey: Secret, apiID: String, apiKey: Secret, allowedIPs: SourceAllowList = .init([]),
        apiBase: String = "https://anypay.io"
    ) {
        self.merchantID = merchantID
        self.secretKey = secretKey
        self.apiID = apiID
        self.apiKey = apiKey
        self.allowedIPs = allowedIPs
        self.apiBase = apiBase
    }

    /// Reads `ANYPAY_MERCHANT_ID` (digits), `ANYPAY_SECRET_KEY`, `ANYPAY_API_ID`, `ANYPAY_API_KEY`,
    /// `ANYPAY_ALLOWED_IPS` and `ANYPAY_API_BASE` (`https://anypay.io`).
    /// - Throws: `ConfigurationError` naming the first missing or malformed variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let merchantID = try config.string(
            "ANYPAY_MERCHANT_ID", where: { $0.count <= 20 && $0.allSatisfy(\.isASCIIDigit) },
            otherwise: "must be the numeric project id")
        let apiID = try config.string(
            "ANYPAY_API_ID", where: { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } },
            otherwise: "must hold letters and digits only")
        self.init(
            merchantID: merchantID,
            secretKey: Secret(try config.string("ANYPAY_SECRET_KEY")),
            apiID: apiID,
            apiKey: Secret(try config.string("ANYPAY_API_KEY")),
            allowedIPs: SourceAllowList(config, variable: "ANYPAY_ALLOWED_IPS"),
            apiBase: try config.baseURL("ANYPAY_API_BASE", default: "https://anypay.io"))
    }

    /// Whether a notification from `address` (nginx's `REMOTE_ADDR`) may be processed.
    public func isAllowedSource(_ address: String) -> Bool { allowedIPs.permits(address) }
}

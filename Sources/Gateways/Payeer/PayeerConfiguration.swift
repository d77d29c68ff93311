import PaymentsCore

/// Payeer merchant (SCI) settings (DESIGN §9), read once at start-up.
public struct PayeerConfiguration: Sendable {
    /// The shop id (`m_shop`), digits only.
    public var shopID: String
    /// The shop's secret key: signs the payment form and verifies status notifications.
    public var secretKey: Secret
    /// "Key for encryption of additional parameters"; without it the form carries no `m_params`, so Payeer uses the
    /// success and fail URLs of the merchant settings.
    public var paramsKey: Secret?
    /// Notification source addresses; empty accepts any.
    public var allowedIPs: SourceAllowList

    public init(shopID: String, secretKey: Secret, paramsKey: Secret? = nil, allowedIPs: SourceAllowList = .init([])) {
        self.shopID = shopID
        self.secretKey = secretKey
        self.paramsKey = paramsKey
        self.allowedIPs = allowedIPs
    }

    /// Reads `PAYEER_SHOP_ID` (digits), `PAYEER_SECRET_KEY`, `PAYEER_PARAMS_KEY` (optional) and `PAYEER_ALLOWED_IPS`.
    /// - Throws: `ConfigurationError` naming the first missing or malformed variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let shopID = try config.string(
            "PAYEER_SHOP_ID", where: { $0.count <= 20 && $0.allSatisfy(\.isASCIIDigit) },
            otherwise: "must be the numeric shop id")
        self.init(
            shopID: shopID,
            secretKey: Secret(try config.string("PAYEER_SECRET_KEY")),
            paramsKey: config.optional("PAYEER_PARAMS_KEY").map(Secret.init),
            allowedIPs: SourceAllowList(config, variable: "PAYEER_ALLOWED_IPS"))
    }

    /// Whether a notification from `address` (nginx's `REMOTE_ADDR`) may be processed.
    public func isAllowedSource(_ address: String) -> Bool { allowedIPs.permits(address) }
}

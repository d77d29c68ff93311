import PaymentsCore

/// Cryptomus settings (DESIGN §9), read once at start-up.
public struct CryptomusConfiguration: Sendable {
    public var merchantID: String
    /// The payment API key: signs invoice requests and verifies payment webhooks.
    public var paymentKey: Secret
    /// Normalised `https://host[:port]` origins `url_return` / `url_success` may point at.
    public var returnOrigins: Set<String>
    public var invoiceLifetimeSeconds: Int
    /// Credit the whole USD value of a `paid_over` payment instead of the invoice amount.
    public var creditOverpayment: Bool
    /// Webhook source addresses; empty accepts any.
    public var allowedIPs: SourceAllowList
    public var apiBase: String

    public init(
        merchantID: String, paymentKey: Secret, returnOrigins: Set<String>, invoiceLifetimeSeconds: Int = 3600,
        creditOverpayment: Bool = false, allowedIPs: SourceAllowList = .init([]),
        apiBase: String = "https://api.cryptomus.com"
    ) {
        self.merchantID = merchantID
        self.paymentKey = paymentKey
        self.returnOrigins = returnOrigins
        self.invoiceLifetimeSeconds = invoiceLifetimeSeconds
        self.creditOverpayment = creditOverpayment
        self.allowedIPs = allowedIPs
        self.apiBase = apiBase
    }

    /// Reads `CRYPTOMUS_MERCHANT_ID`, `CRYPTOMUS_PAYMENT_KEY`, `CRYPTOMUS_RETURN_ORIGINS`,
    /// `CRYPTOMUS_INVOICE_LIFETIME_SECONDS` (3600, 300...43200), `CRYPTOMUS_CREDIT_OVERPAYMENT` (false),
    /// `CRYPTOMUS_ALLOWED_IPS` and `CRYPTOMUS_API_BASE`.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let originTexts = try config.requiredList("CRYPTOMUS_RETURN_ORIGINS")
        var origins: Set<String> = []
        for text in originTexts {
            guard let origin = CryptomusConfiguration.httpsOrigin(of: text), origin.path.isEmpty || origin.path == "/"
            else {
                throw ConfigurationError(
                    variable: "CRYPTOMUS_RETURN_ORIGINS",
                    problem: "must list https://host[:port] origins, got '\(text)'")
            }
            origins.insert(origin.origin)
        }
        self.init(
            merchantID: try config.string("CRYPTOMUS_MERCHANT_ID"),
            paymentKey: Secret(try config.string("CRYPTOMUS_PAYMENT_KEY")),
            returnOrigins: origins,
            invoiceLifetimeSeconds: try config.int(
                "CRYPTOMUS_INVOICE_LIFETIME_SECONDS", default: 3600, range: 300...43_200),
            creditOverpayment: try config.bool("CRYPTOMUS_CREDIT_OVERPAYMENT", default: false),
            allowedIPs: SourceAllowList(config, variable: "CRYPTOMUS_ALLOWED_IPS"),
            apiBase: try config.baseURL("CRYPTOMUS_API_BASE", default: "https://api.cryptomus.com"))
    }

    /// Whether `url` is an https URL on one of the allowed return origins.
    public func isAllowedReturnURL(_ url: String) -> Bool {
        guard let parsed = CryptomusConfiguration.httpsOrigin(of: url) else { return false }
        return returnOrigins.contains(parsed.origin)
    }

    /// Whether a webhook from `address` (nginx's `REMOTE_ADDR`) may be processed.
    public func isAllowedSource(_ address: String) -> Bool { allowedIPs.permits(address) }

    /// Splits an absolute https URL into its normalised origin (`https://host[:port]`, host lower-cased, `:443`
    /// dropped) and the rest; nil for anything else (other schemes, user info, blanks, control characters,
    /// backslashes, an empty host or a bad port).
    static func httpsOrigin(of text: String) -> (origin: String, path: String)? {
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "\\" }),
            text.count >= 8, text.prefix(8).lowercased() == "https://"
        else { return nil }
        let rest = text.dropFirst(8)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd].lowercased()
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port = ""
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = authority[..<colon]
            port = String(authority[authority.index(after: colon)...])
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit), let number = Int(port),
                (1...65_535).contains(number)
            else { return nil }
            if number == 443 { port = "" } else { port = String(number) }
        }
        guard !host.isEmpty else { return nil }
        let origin = "https://" + host + (port.isEmpty ? "" : ":" + port)
        return (origin, String(rest[authorityEnd...]))
    }
}

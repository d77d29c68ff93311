/// Settings every component shares, read once at start-up (DESIGN §9).
public struct CoreConfiguration: Sendable {
    /// Like `https://pay.example.com/api`; callback URLs are built from it.
    public var publicBaseURL: String
    public var corsAllowedOrigins: Set<String>
    public var maxBodyBytes: Int
    public var amountRange: ClosedRange<Int64>
    public var rateLimitPerMinute: Int
    public var httpTimeoutSeconds: Double
    public var retailAPIURL: String
    public var retailAPIKey: Secret

    public init(
        publicBaseURL: String = "http://127.0.0.1:8080/api", corsAllowedOrigins: Set<String> = [],
        maxBodyBytes: Int = 1_048_576, amountRange: ClosedRange<Int64> = 500...100_000, rateLimitPerMinute: Int = 120,
        httpTimeoutSeconds: Double = 10, retailAPIURL: String = "http://127.0.0.1:8090/retail",
        retailAPIKey: Secret = Secret("")
    ) {
        self.publicBaseURL = publicBaseURL
        self.corsAllowedOrigins = corsAllowedOrigins
        self.maxBodyBytes = maxBodyBytes
        self.amountRange = amountRange
        self.rateLimitPerMinute = rateLimitPerMinute
        self.httpTimeoutSeconds = httpTimeoutSeconds
        self.retailAPIURL = retailAPIURL
        self.retailAPIKey = retailAPIKey
    }

    /// Reads `PUBLIC_BASE_URL`, `CORS_ALLOWED_ORIGINS`, `MAX_BODY_BYTES`, `AMOUNT_MIN_CENTS`, `AMOUNT_MAX_CENTS`,
    /// `RATE_LIMIT_UID_PER_MINUTE`, `HTTP_TIMEOUT_SECONDS`, `RETAIL_API_URL`, `RETAIL_API_KEY`.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let publicBase = try config.url("PUBLIC_BASE_URL")
        let minimum = try config.int("AMOUNT_MIN_CENTS", default: 500, range: 1...Int(Int32.max))
        let maximum = try config.int("AMOUNT_MAX_CENTS", default: 100_000, range: 1...Int(Int32.max))
        let amountRange =
            minimum <= maximum
            ? Int64(minimum)...Int64(maximum)
            : try config.reject(
                ConfigurationError(variable: "AMOUNT_MIN_CENTS", problem: "must not exceed AMOUNT_MAX_CENTS"),
                answering: Int64(maximum)...Int64(maximum))
        self.init(
            publicBaseURL: publicBase,
            corsAllowedOrigins: Set(config.list("CORS_ALLOWED_ORIGINS")),
            maxBodyBytes: try config.int("MAX_BODY_BYTES", default: 1_048_576, range: 1024...67_108_864),
            amountRange: amountRange,
            rateLimitPerMinute: try config.int("RATE_LIMIT_UID_PER_MINUTE", default: 120, range: 1...1_000_000),
            httpTimeoutSeconds: Double(try config.int("HTTP_TIMEOUT_SECONDS", default: 10, range: 1...300)),
            retailAPIURL: try config.url("RETAIL_API_URL"),
            retailAPIKey: Secret(try config.string("RETAIL_API_KEY")))
    }
}

/// A secret value whose description never shows it.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

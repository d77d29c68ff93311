/// Whether and how web clients' reCAPTCHA tokens are checked (DESIGN §4, §9).
public struct RecaptchaConfiguration: Sendable {
    public var enabled: Bool
    /// The server-side secret sent to the verify endpoint; empty when disabled.
    public var secret: Secret
    /// `RECAPTCHA_VERIFY_URL`, e.g. Google's `https://www.google.com/recaptcha/api/siteverify`; empty when disabled.
    public var verifyURL: String
    /// Lowest accepted score (v3); tokens without a score are judged by `success` alone.
    public var minScore: Double
    /// `RECAPTCHA_HOSTNAMES`, lower-cased: the sites a token may have been solved on, so a token harvested on
    /// another site that uses the same key cannot be replayed here; empty = not checked.
    public var hostnames: [String]

    public init(
        enabled: Bool = false, secret: Secret = Secret(""), verifyURL: String = "", minScore: Double = 0.5,
        hostnames: [String] = []
    ) {
        self.enabled = enabled
        self.secret = secret
        self.verifyURL = verifyURL
        self.minScore = minScore
        self.hostnames = hostnames.map { $0.lowercased() }
    }

    /// Reads `RECAPTCHA_ENABLED` (false), and when enabled `RECAPTCHA_SECRET` and `RECAPTCHA_VERIFY_URL` (required),
    /// plus `RECAPTCHA_MIN_SCORE` (0.5, within 0...1) and `RECAPTCHA_HOSTNAMES` (comma-separated, optional).
    /// - Throws: `ConfigurationError` naming the missing or invalid variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let minScore = try config.double("RECAPTCHA_MIN_SCORE", default: 0.5)
        guard (0.0...1.0).contains(minScore) else {
            throw ConfigurationError(variable: "RECAPTCHA_MIN_SCORE", problem: "must be within 0...1")
        }
        guard try config.bool("RECAPTCHA_ENABLED", default: false) else {
            self.init(enabled: false, minScore: minScore)
            return
        }
        self.init(
            enabled: true, secret: Secret(try config.string("RECAPTCHA_SECRET")),
            verifyURL: try config.url("RECAPTCHA_VERIFY_URL"), minScore: minScore,
            hostnames: config.list("RECAPTCHA_HOSTNAMES"))
    }
}

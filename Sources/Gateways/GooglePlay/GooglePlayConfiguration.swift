import PaymentsCore

/// Google Play settings (DESIGN §9), read once at start-up; the service-account key is parsed here so a bad one stops
/// start-up with a message naming `GOOGLE_PLAY_SECRET_FILE`.
public struct GooglePlayConfiguration: Sendable {
    /// Google's x509-map endpoint of the keys that sign its OIDC ID tokens (Pub/Sub push authentication).
    public static let defaultOIDCCertsURL = "https://www.googleapis.com/oauth2/v1/certs"
    public static let defaultAPIBase = "https://androidpublisher.googleapis.com"

    /// The app's package name (`com.example.app`); purchases and notifications of any other package are refused.
    public var packageName: String
    public var serviceAccount: GooglePlayServiceAccount
    /// USD cents by in-app product id.
    public var products: ProductTable
    /// The `aud` the push subscription puts in its OIDC tokens (by default Google uses the push endpoint URL).
    public var pubsubAudience: String
    /// The service account the push subscription signs its tokens as (the token's `email`).
    public var pubsubServiceAccount: String
    public var oidcCertsURL: String
    /// Scheme, host and port of the Android Publisher API.
    public var apiBase: String

    public init(
        packageName: String, serviceAccount: GooglePlayServiceAccount, products: ProductTable, pubsubAudience: String,
        pubsubServiceAccount: String, oidcCertsURL: String = Self.defaultOIDCCertsURL,
        apiBase: String = Self.defaultAPIBase
    ) {
        self.packageName = packageName
        self.serviceAccount = serviceAccount
        self.products = products
        self.pubsubAudience = pubsubAudience
        self.pubsubServiceAccount = pubsubServiceAccount
        self.oidcCertsURL = oidcCertsURL
        self.apiBase = apiBase
    }

    /// Reads `GOOGLE_PLAY_PACKAGE_NAME`, `GOOGLE_PLAY_SECRET_FILE` (the service-account JSON key itself; its
    /// `token_uri` is honoured), `GOOGLE_PLAY_PRODUCTS` (`id=cents,…`), `GOOGLE_PUBSUB_AUDIENCE`,
    /// `GOOGLE_PUBSUB_SERVICE_ACCOUNT`, `GOOGLE_OIDC_CERTS_URL` (Google's `oauth2/v1/certs`) and
    /// `GOOGLE_PLAY_API_BASE` (`https://androidpublisher.googleapis.com`).
    /// - Throws: `ConfigurationError` naming the first missing or malformed variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let certsURL = config.string("GOOGLE_OIDC_CERTS_URL", default: Self.defaultOIDCCertsURL)
        guard certsURL.hasPrefix("https://") || certsURL.hasPrefix("http://") else {
            throw ConfigurationError(variable: "GOOGLE_OIDC_CERTS_URL", problem: "must be an http(s) URL")
        }
        self.init(
            packageName: try config.string("GOOGLE_PLAY_PACKAGE_NAME"),
            serviceAccount: try GooglePlayServiceAccount(json: try config.string("GOOGLE_PLAY_SECRET_FILE")),
            products: try config.products("GOOGLE_PLAY_PRODUCTS"),
            pubsubAudience: try config.string("GOOGLE_PUBSUB_AUDIENCE"),
            pubsubServiceAccount: try config.string("GOOGLE_PUBSUB_SERVICE_ACCOUNT"),
            oidcCertsURL: certsURL,
            apiBase: try config.baseURL("GOOGLE_PLAY_API_BASE", default: Self.defaultAPIBase))
    }
}

import PaymentsCore
import Signing

/// The one OAuth2 client-credentials token all workers share (`POST /v1/oauth2/token`, research §2.1).
///
/// Caching is `AccessTokenCache`'s: no lock is held during HTTP, and at most one token request is in flight (issue 6,
/// defect 7): while it runs, a caller whose cached token has not expired yet keeps using it, and the others fail at
/// once with 503 rather than queue behind a PayPal that may hang until the timeout. The token request goes through
/// the `paypal` outbound service, so its timeouts and 5xx answers count toward that circuit breaker like any other
/// PayPal call.
public final class PayPalTokenProvider: Sendable {
    /// How long before PayPal's expiry a token is replaced (capped at half its lifetime).
    public static let refreshMargin: Int64 = 120
    /// Longest lifetime believed, whatever `expires_in` says (PayPal's are hours); keeps the refresh time in range.
    public static let maxLifetime = AccessTokenCache.maxLifetime

    private let cache: AccessTokenCache

    public init(configuration: PayPalConfiguration, service: OutboundService, clock: @escaping @Sendable () -> Int64) {
        cache = AccessTokenCache(service: "paypal", renewMargin: Self.refreshMargin, clock: clock) {
            try PayPalTokenProvider.fetch(configuration, service)
        }
    }

    /// A valid access token, fetched when none is cached or the cached one is due for replacement.
    /// - Throws: `APIError` 503 while another caller's token request is in flight and no valid token is cached;
    ///   the token request's own failure (502, 503 with the circuit open, `PayPalAPI.Failure`) otherwise.
    public func token() throws -> String { try cache.token() }

    /// Replaces `rejected` after PayPal answered 401 with it; a token another thread already replaced is reused.
    public func tokenAfterRejection(of rejected: String) throws -> String { try cache.token(replacing: rejected) }

    /// Number of token requests made so far (for tests and metrics).
    public var refreshCount: Int { cache.fetchCount }

    private static func fetch(_ configuration: PayPalConfiguration, _ service: OutboundService) throws
        -> AccessTokenCache.Issued
    {
        let credentials = Base64.encode(Array("\(configuration.clientID):\(configuration.secret.value)".utf8))
        let request = HTTPRequest(
            method: "POST", url: configuration.apiBase + "/v1/oauth2/token",
            headers: [
                ("Authorization", "Basic \(credentials)"), ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            body: Array("grant_type=client_credentials".utf8))
        let response = try service.send(request)
        guard response.status == 200, let json = response.json, let value = json["access_token"]?.stringValue,
            !value.isEmpty
        else {
            throw PayPalAPI.Failure(status: response.status, name: response.json?["error"]?.stringValue, issue: nil)
        }
        return AccessTokenCache.Issued(value: value, lifetime: json["expires_in"]?.int64Value ?? 0)
    }
}

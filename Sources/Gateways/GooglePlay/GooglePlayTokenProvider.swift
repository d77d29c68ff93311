import PaymentsCore
import Signing

/// The Android Publisher access token, obtained with the service account's RS256 assertion (the OAuth 2.0 JWT bearer
/// grant, RFC 7523) and shared by every worker until shortly before it expires.
///
/// The assertion: header `{alg: RS256, typ: JWT, kid: private_key_id}`; claims `iss` = `client_email`, `scope` =
/// androidpublisher, `aud` = the key file's `token_uri`, `iat` = now, `exp` = now + 1 h (Google's maximum). It is
/// POSTed form-encoded to `token_uri` as `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`, which
/// answers `{access_token, expires_in, token_type: "Bearer"}`. See
/// https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
public final class GooglePlayTokenProvider: Sendable {
    public static let scope = "https://www.googleapis.com/auth/androidpublisher"
    public static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// Lifetime of an assertion; Google refuses more than an hour.
    public static let assertionLifetime: Int64 = 3600
    /// How long before its expiry a token is replaced (google-auth's refresh threshold is 3 min 45 s).
    public static let renewMargin: Int64 = 300

    private let account: GooglePlayServiceAccount
    private let service: OutboundService
    private let clock: @Sendable () -> Int64
    private let cache: AccessTokenCache

    /// - Parameters:
    ///   - service: the `googleplay` outbound client, so token requests share the API's circuit breaker.
    ///   - clock: unix seconds; tests pin it.
    public init(account: GooglePlayServiceAccount, service: OutboundService, clock: @escaping @Sendable () -> Int64) {
        self.account = account
        self.service = service
        self.clock = clock
        cache = AccessTokenCache(service: "google", renewMargin: Self.renewMargin, clock: clock) {
            [account, service, clock] in
            try Self.exchange(account: account, service: service, now: clock())
        }
    }

    /// A valid access token (see `AccessTokenCache.token()`).
    /// - Throws: `APIError` 502 when Google is unreachable or refuses the assertion, 503 while busy or the circuit is open.
    public func token() throws -> String { try cache.token() }

    /// Replaces `rejected` after the API answered 401 with it.
    /// - Throws: as `token()`.
    public func token(replacing rejected: String) throws -> String { try cache.token(replacing: rejected) }

    /// Number of token requests made so far (for tests).
    public var fetchCount: Int { cache.fetchCount }

    /// The signed assertion for `now`.
    /// - Throws: `OpenSSLError` when signing fails.
    public static func assertion(account: GooglePlayServiceAccount, now: Int64) throws -> String {
        let header = JSONValue.object([
            ("alg", .string("RS256")), ("typ", .string("JWT")), ("kid", .string(account.privateKeyID)),
        ])
        let claims = JSONValue.object([
            ("iss", .string(account.clientEmail)), ("scope", .string(scope)), ("aud", .string(account.tokenURI)),
            ("iat", .int(now)), ("exp", .int(now + assertionLifetime)),
        ])
        return try JSONWebToken.sign(
            header: header, payload: claims, key: account.privateKey, algorithm: .rsaPKCS1SHA256)
    }

    private static func exchange(account: GooglePlayServiceAccount, service: OutboundService, now: Int64) throws
        -> AccessTokenCache.Issued
    {
        let body = FormEncoding.encode([
            ("grant_type", grantType), ("assertion", try assertion(account: account, now: now)),
        ])
        let request = HTTPRequest(
            method: "POST", url: account.tokenURI,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(body.utf8))
        let response = try service.send(request)
        guard response.status == 200, let json = response.json, let value = json["access_token"]?.stringValue,
            !value.isEmpty
        else {
            // Our own credentials being refused is never the client's fault, whatever the status.
            let reason = response.json?["error"]?.stringValue ?? "HTTP \(response.status)"
            throw APIError(.gatewayUnavailable, "google refused the service-account assertion (\(reason))")
        }
        return AccessTokenCache.Issued(value: value, lifetime: json["expires_in"]?.int64Value ?? 0)
    }
}

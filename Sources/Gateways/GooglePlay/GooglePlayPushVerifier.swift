import Foundation
import PaymentsCore
import Signing

/// Authenticates Pub/Sub push deliveries by their `Authorization: Bearer` OIDC ID token, signed by Google.
///
/// Checks, in order: `alg` exactly RS256 and a `kid`; the RS256 signature with the key of that `kid` from
/// `GOOGLE_OIDC_CERTS_URL` (Google's x509 map `{kid: PEM certificate}`; every key in it is honoured, cached as
/// Firebase's are); and only then the claims: `iss` `accounts.google.com` or `https://accounts.google.com`, `aud` =
/// `GOOGLE_PUBSUB_AUDIENCE`, `email` = `GOOGLE_PUBSUB_SERVICE_ACCOUNT` with `email_verified` true, `exp` in the future
/// and `iat` not in the future (60 s leeway each; bounds computed from the clock with saturating arithmetic, so no
/// claim value can trap). See https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
public struct GooglePlayPushVerifier: Sendable {
    /// The two spellings of Google's issuer its ID tokens carry.
    public static let issuers: Set<String> = ["accounts.google.com", "https://accounts.google.com"]
    /// Allowed clock difference for `exp` and `iat`.
    public static let leeway: Int64 = 60
    /// Google's ID tokens live an hour; an `exp` further ahead (beyond the leeway) is not one.
    public static let maxLifetime: Int64 = 3600

    private let audience: String
    private let serviceAccount: String
    private let certificates: FirebaseCertificateCache
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - service: the outbound client for the certificates, with its own `google-oidc` circuit breaker.
    ///   - now: unix seconds; tests pin it.
    public init(
        configuration: GooglePlayConfiguration, service: OutboundService,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        audience = configuration.pubsubAudience
        serviceAccount = configuration.pubsubServiceAccount
        certificates = FirebaseCertificateCache(
            url: configuration.oidcCertsURL, service: service, source: "google oidc")
        self.now = now
    }

    /// Fetches the signing certificates ahead of the first push.
    public func prepare() {
        certificates.prefetch(now: now())
    }

    /// Verifies the push's bearer token.
    /// - Throws: `APIError` 401 for a missing, malformed, forged, expired or foreign token; 503 when the certificates
    ///   cannot be had (Pub/Sub then redelivers).
    public func verify(authorizationHeader: String?) throws(APIError) {
        let current = now()
        let jwt = try certificates.verifiedToken(
            try FirebaseAuthenticator.bearerToken(authorizationHeader), now: current)
        try checkClaims(jwt.payload, now: current)
    }

    private func checkClaims(_ claims: JSONValue, now: Int64) throws(APIError) {
        guard let issuer = claims["iss"]?.stringValue, Self.issuers.contains(issuer),
            claims["aud"]?.stringValue == audience,
            claims["email"]?.stringValue == serviceAccount,
            claims["email_verified"]?.boolValue == true
        else { throw Self.invalid }
        guard let expires = claims["exp"]?.int64Value, let issued = claims["iat"]?.int64Value else {
            throw Self.invalid
        }
        let latestIssue = Saturating.add(now, Self.leeway)
        guard expires > Saturating.subtract(now, Self.leeway) else { throw APIError(.unauthorized, "token expired") }
        guard issued <= latestIssue, expires <= Saturating.add(latestIssue, Self.maxLifetime) else {
            throw Self.invalid
        }
    }

    private static var invalid: APIError { APIError(.unauthorized, "invalid push token") }
}

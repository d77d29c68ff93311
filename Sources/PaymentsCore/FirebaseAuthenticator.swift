import Foundation
import Signing

/// Authenticates client routes with Firebase ID tokens (DESIGN §4).
///
/// Checks the `Authorization: Bearer` header, then the token's header (`alg` exactly RS256, a `kid`), then the RS256
/// signature with the key named by `kid`, and only then the claims: `aud`, `iss`, `sub`, `exp`, `iat` and
/// `auth_time` (60 s leeway each).
///
/// No claim is read before the signature holds, and the time checks do their arithmetic on the clock only, never on a
/// number from the token, so no claim value can trap. While the certificates cannot be had and no cached set has the
/// `kid`, every token is unverifiable and answered 503 (DESIGN §4, never 401); a cached key, even a stale one,
/// still answers an expired token 401.
public struct FirebaseAuthenticator: Authenticator {
    /// Allowed clock difference for each time claim.
    public static let leeway: Int64 = 60
    /// Firebase ID tokens expire one hour after they are issued; an `exp` further ahead (beyond the leeway) is not one.
    public static let maxLifetime: Int64 = 3600
    /// Longest accepted `sub` (the uid).
    public static let maxUIDLength = 128

    public let configuration: FirebaseConfiguration
    private let certificates: FirebaseCertificateCache
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - service: the outbound client for `FIREBASE_CERTS_URL`, with its own `firebase` circuit breaker.
    ///   - now: unix seconds; tests pin it.
    public init(
        configuration: FirebaseConfiguration, service: OutboundService,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.configuration = configuration
        self.certificates = FirebaseCertificateCache(url: configuration.certsURL, service: service)
        self.now = now
    }

    /// Builds the outbound client itself: service `firebase`, a fresh `CircuitBreaker(service: "firebase")`.
    public init(
        configuration: FirebaseConfiguration, transport: any HTTPTransport, timeout: Double,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        let service = OutboundService(
            name: "firebase", transport: transport, breaker: CircuitBreaker(service: "firebase"), timeout: timeout)
        self.init(configuration: configuration, service: service, now: now)
    }

    /// Fetches the signing certificates ahead of the first request (see `FirebaseCertificateCache.prefetch`).
    public func prepare() {
        certificates.prefetch(now: now())
    }

    /// Verifies the bearer token and returns its user.
    ///
    /// `emailVerified` is true only when the token says `email_verified: true`; the pipeline turns a `password`
    /// sign-in with an unverified email into 403.
    /// - Throws: `APIError` 401 for a missing, malformed, forged or expired token; 503 when the certificates cannot
    ///   be had.
    public func authenticate(authorizationHeader: String?) throws(APIError) -> AuthenticatedUser {
        let current = now()
        let jwt = try certificates.verifiedToken(try Self.bearerToken(authorizationHeader), now: current)
        let uid = try checkClaims(jwt.payload, now: current)
        return AuthenticatedUser(
            uid: uid,
            emailVerified: jwt.payload["email_verified"]?.boolValue == true,
            signInProvider: jwt.payload.at("firebase.sign_in_provider")?.stringValue)
    }

    /// Checks audience, issuer, subject and times of a verified token; returns the uid.
    ///
    /// Time claims must be integers that fit Int64 (anything else is 401). Each bound is computed from `now` with
    /// saturating arithmetic and compared with the claim as it stands, so an extreme claim can only fail a comparison.
    private func checkClaims(_ claims: JSONValue, now: Int64) throws(APIError) -> String {
        guard claims["aud"]?.stringValue == configuration.projectID,
            claims["iss"]?.stringValue == configuration.issuer,
            let uid = claims["sub"]?.stringValue, (1...Self.maxUIDLength).contains(uid.count)
        else { throw Self.invalid }
        guard let expires = claims["exp"]?.int64Value, let issued = claims["iat"]?.int64Value,
            let authenticated = claims["auth_time"]?.int64Value
        else { throw Self.invalid }
        let latestIssue = Saturating.add(now, Self.leeway)
        guard expires > Saturating.subtract(now, Self.leeway) else { throw APIError(.unauthorized, "token expired") }
        guard expires <= Saturating.add(latestIssue, Self.maxLifetime), issued <= latestIssue,
            authenticated <= latestIssue
        else { throw Self.invalid }
        return uid
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 7235); Pub/Sub push verification reads it too.
    /// - Throws: `APIError` 401 when the header is missing or is not a bearer token.
    public static func bearerToken(_ header: String?) throws(APIError) -> String {
        guard let header else { throw APIError(.unauthorized, "missing bearer token") }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else {
            throw APIError(.unauthorized, "missing bearer token")
        }
        let token = trimmed[space...].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { throw APIError(.unauthorized, "missing bearer token") }
        return token
    }

    private static var invalid: APIError { APIError(.unauthorized, "invalid token") }
}

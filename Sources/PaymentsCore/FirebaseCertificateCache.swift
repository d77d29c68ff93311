import Foundation
import Signing

/// Google's token-signing keys by `kid`, fetched from an x509-map certificate endpoint (`{kid: PEM certificate}`) and
/// cached: Firebase's ID-token keys (DESIGN §4), and the OIDC keys of Google Play's Pub/Sub pushes.
///
/// The set is kept for the response's `Cache-Control: max-age`. A `kid` missing from a fresh set triggers at most
/// one refetch per `unknownKeyRefetchInterval`, so forged key ids cannot make the responder hammer Google. When a
/// fetch fails and no cached set (fresh or stale) has the `kid`, the answer is 503, never 401: the client logs the
/// user out on 401. The lock is never held during the HTTP call, and one fetch at most is in flight (issue 6,
/// defect 7): while it runs, a caller whose `kid` is in the cached set (even an expired one) uses it, and the others
/// get 503 at once instead of each fetching the same certificates when the set expires.
public final class FirebaseCertificateCache: Sendable {
    /// Minimum spacing of refetches caused by an unknown `kid`.
    public static let unknownKeyRefetchInterval: Int64 = 60
    /// Lifetime of a set whose response carries no `max-age`.
    public static let defaultMaxAge: Int64 = 300
    /// Longest a set is kept, whatever `max-age` says (Google's is hours); also keeps `now + max-age` in range.
    public static let maxCacheSeconds: Int64 = 86_400

    private struct State {
        var keys: [String: PublicKey] = [:]
        /// Unix seconds after which the set must be fetched again; nil before the first successful fetch.
        var expiresAt: Int64?
        var unknownKeyRefetchAt: Int64?
        var fetchInFlight = false
    }

    private enum Plan {
        case use(PublicKey)
        case fetch(unknownKey: Bool, previousRefetchAt: Int64?)
        case reject
        case busy
    }

    private let url: String
    private let service: OutboundService
    /// Names the endpoint in error messages (`firebase`, `google oidc`).
    private let source: String
    private let state = Locked(State())

    /// - Parameters:
    ///   - url: `FIREBASE_CERTS_URL` (or `GOOGLE_OIDC_CERTS_URL`).
    ///   - service: the outbound client, with its own circuit breaker (`firebase`, …).
    ///   - source: names the endpoint in error messages.
    public init(url: String, service: OutboundService, source: String = "firebase") {
        self.url = url
        self.service = service
        self.source = source
    }

    /// The key that signs tokens with `kid`.
    ///
    /// - Throws: `APIError` 401 when a current set lacks `kid` (after the permitted refetch), 503
    ///   `GatewayUnavailableException` when the certificates cannot be had and no cached set has `kid`.
    public func key(for kid: String, now: Int64) throws(APIError) -> PublicKey {
        let plan = state.withLock { s -> Plan in
            guard let expiresAt = s.expiresAt, now < expiresAt else {
                // No set yet, or it expired: one caller fetches, the others use the old set meanwhile or fail fast.
                if s.fetchInFlight { return s.keys[kid].map(Plan.use) ?? .busy }
                s.fetchInFlight = true
                return .fetch(unknownKey: false, previousRefetchAt: nil)
            }
            if let key = s.keys[kid] { return .use(key) }
            if s.fetchInFlight { return .busy }
            if let last = s.unknownKeyRefetchAt, now - last < Self.unknownKeyRefetchInterval { return .reject }
            let previous = s.unknownKeyRefetchAt
            s.unknownKeyRefetchAt = now
            s.fetchInFlight = true
            return .fetch(unknownKey: true, previousRefetchAt: previous)
        }
        switch plan {
        case let .use(key):
            return key
        case .reject:
            throw APIError(.unauthorized, "invalid token")
        case .busy:
            throw APIError(.circuitOpen, "authentication is temporarily unavailable", headers: [("Retry-After", "1")])
        case let .fetch(unknownKey, previousRefetchAt):
            return try refresh(kid: kid, now: now, unknownKey: unknownKey, previousRefetchAt: previousRefetchAt)
        }
    }

    /// Parses a compact token and checks that it is RS256 (exactly), names a `kid`, and carries a valid signature by
    /// that key of this map; its claims are left to the caller, who must read none before this returns.
    ///
    /// - Throws: `APIError` 401 for a malformed, unsigned or forged token, or one of another algorithm; as
    ///   `key(for:now:)` when the key cannot be had.
    public func verifiedToken(_ compact: String, now: Int64) throws(APIError) -> JSONWebToken {
        let jwt = try JSONWebToken.parse(compact)
        guard jwt.header["alg"]?.stringValue == "RS256", let kid = jwt.header["kid"]?.stringValue, !kid.isEmpty
        else { throw APIError(.unauthorized, "invalid token") }
        let key = try key(for: kid, now: now)
        guard key.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256) else {
            throw APIError(.unauthorized, "invalid token")
        }
        return jwt
    }

    /// Fetches the set once before the first token needs it, so the requests that reach a freshly started responder
    /// find it cached instead of answering 503 while one first fetch is in flight. Does nothing when a set is cached
    /// or a fetch is running; a failure is left for the first token to retry.
    public func prefetch(now: Int64) {
        let claimed = state.withLock { s -> Bool in
            guard s.expiresAt == nil, !s.fetchInFlight else { return false }
            s.fetchInFlight = true
            return true
        }
        guard claimed else { return }
        _ = try? refresh(kid: "", now: now, unknownKey: false, previousRefetchAt: nil)
    }

    private func refresh(kid: String, now: Int64, unknownKey: Bool, previousRefetchAt: Int64?) throws(APIError)
        -> PublicKey
    {
        let fetched: Result<(keys: [String: PublicKey], maxAge: Int64), APIError>
        do throws(APIError) {
            fetched = .success(try fetch())
        } catch {
            fetched = .failure(error)
        }
        let stale = state.withLock { s -> PublicKey? in
            s.fetchInFlight = false
            switch fetched {
            case let .success(set):
                s.keys = set.keys
                s.expiresAt = now + set.maxAge
                return nil
            case .failure:
                // A failed refetch must not count against the interval, or the next try would answer 401.
                if unknownKey { s.unknownKeyRefetchAt = previousRefetchAt }
                return s.keys[kid]
            }
        }
        switch fetched {
        case let .success(set):
            guard let key = set.keys[kid] else { throw APIError(.unauthorized, "invalid token") }
            return key
        case let .failure(error):
            if let stale { return stale }
            throw APIError(
                .circuitOpen, "authentication is temporarily unavailable",
                headers: error.headers.isEmpty ? [("Retry-After", "5")] : error.headers, cause: error)
        }
    }

    private func fetch() throws(APIError) -> (keys: [String: PublicKey], maxAge: Int64) {
        let response = try service.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
        guard response.status == 200, case let .object(members)? = response.json else {
            throw APIError(.gatewayUnavailable, "\(source) certificates answered \(response.status)")
        }
        var keys: [String: PublicKey] = [:]
        for (kid, value) in members {
            guard let pem = value.stringValue, let certificate = try? Certificate(pem: pem),
                let key = try? certificate.publicKey
            else { continue }
            keys[kid] = key
        }
        guard !keys.isEmpty else { throw APIError(.gatewayUnavailable, "\(source) certificates held no usable key") }
        return (keys, Self.maxAge(response.headers["cache-control"]))
    }

    /// The `max-age` directive in seconds, at most `maxCacheSeconds`, or `defaultMaxAge` when absent or malformed.
    static func maxAge(_ cacheControl: String?) -> Int64 {
        guard let cacheControl else { return defaultMaxAge }
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            if parts.count == 2, parts[0] == "max-age", let seconds = Int64(parts[1]), seconds >= 0 {
                return min(seconds, maxCacheSeconds)
            }
        }
        return defaultMaxAge
    }
}

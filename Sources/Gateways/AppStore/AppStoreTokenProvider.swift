import PaymentsCore
import Signing

/// The ES256 bearer token for the App Store Server API, signed locally with the App Store Connect key and shared by
/// every worker until shortly before it expires.
///
/// Header `{alg: ES256, kid: APPSTORE_KEY_ID, typ: JWT}`; claims `iss` (issuer id), `iat`, `exp` (`iat` + 20 min;
/// Apple refuses tokens that live over 60 min), `aud` `appstoreconnect-v1` and `bid` (bundle id).
/// See https://developer.apple.com/documentation/appstoreserverapi/generating-json-web-tokens-for-api-requests
public final class AppStoreTokenProvider: Sendable {
    /// Seconds from `iat` to `exp`.
    public static let lifetime: Int64 = 1200
    /// A token is replaced this many seconds before its `exp`.
    public static let refreshMargin: Int64 = 300
    public static let audience = "appstoreconnect-v1"

    private struct Token {
        let value: String
        let refreshAt: Int64
    }

    private let issuerID: String
    private let keyID: String
    private let bundleID: String
    private let key: PrivateKey
    private let clock: @Sendable () -> Int64
    private let cached = Locked<Token?>(nil)
    private let mints = Locked(0)

    public init(configuration: AppStoreConfiguration, clock: @escaping @Sendable () -> Int64) {
        issuerID = configuration.issuerID
        keyID = configuration.keyID
        bundleID = configuration.bundleID
        key = configuration.privateKey
        self.clock = clock
    }

    /// The cached token, or a fresh one when none is cached or it is due for replacement. Signing is local and
    /// fast, so it runs under the lock and concurrent callers never sign twice.
    /// - Throws: `OpenSSLError` only if signing fails (the key was checked at start-up).
    public func token() throws -> String {
        let now = clock()
        return try cached.withLock { token throws -> String in
            if let token, now < token.refreshAt { return token.value }
            let value = try mint(at: now)
            mints.withLock { $0 += 1 }
            token = Token(value: value, refreshAt: now + Self.lifetime - Self.refreshMargin)
            return value
        }
    }

    /// Number of tokens signed so far (for tests).
    public var mintCount: Int { mints.withLock { $0 } }

    /// Signs one token issued at `now` (unix seconds).
    func mint(at now: Int64) throws -> String {
        let header = JSONValue.object([("alg", .string("ES256")), ("kid", .string(keyID)), ("typ", .string("JWT"))])
        let claims = JSONValue.object([
            ("iss", .string(issuerID)), ("iat", .int(now)), ("exp", .int(now + Self.lifetime)),
            ("aud", .string(Self.audience)), ("bid", .string(bundleID)),
        ])
        return try JSONWebToken.sign(header: header, payload: claims, key: key, algorithm: .ecdsaSHA256Raw)
    }
}

import PaymentsCore
import Signing
import Synchronization

/// The one OAuth2 client-credentials token all workers share (`POST /v1/oauth2/token`, research §2.1).
///
/// Readers take the cached token under a short lock. A refresh — shortly before expiry, or once after a 401 —
/// runs under a second lock so that only one thread calls PayPal while the others wait for its result; the
/// token lock is never held during HTTP.
public final class PayPalTokenProvider: Sendable {
    struct Token: Sendable {
        let value: String
        /// Unix seconds after which the token is refreshed (some time before PayPal's expiry).
        let refreshAt: Int64
    }

    /// How long before PayPal's expiry a token is replaced (capped at half its lifetime).
    public static let refreshMargin: Int64 = 120
    /// Longest lifetime believed, whatever `expires_in` says (PayPal's are hours); keeps the refresh time in range.
    public static let maxLifetime: Int64 = 86_400

    private let configuration: PayPalConfiguration
    private let service: OutboundService
    private let clock: @Sendable () -> Int64
    private let cached = Mutex<Token?>(nil)
    private let refreshing = Mutex<Int>(0)

    public init(configuration: PayPalConfiguration, service: OutboundService, clock: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.service = service
        self.clock = clock
    }

    /// A valid access token, fetched when none is cached or the cached one is about to expire.
    public func token() throws -> String {
        if let token = cached.withLock({ $0 }), clock() < token.refreshAt { return token.value }
        return try refresh(replacing: nil)
    }

    /// Replaces `rejected` after PayPal answered 401 with it; a token another thread already replaced is reused.
    public func tokenAfterRejection(of rejected: String) throws -> String {
        try refresh(replacing: rejected)
    }

    /// Number of token requests made so far (for tests and metrics).
    public var refreshCount: Int { refreshing.withLock { $0 } }

    private func refresh(replacing rejected: String?) throws -> String {
        try refreshing.withLock { count throws -> String in
            // Another thread may have refreshed while this one waited for the lock.
            if let token = cached.withLock({ $0 }), clock() < token.refreshAt, token.value != rejected {
                return token.value
            }
            count += 1
            let token = try fetch()
            cached.withLock { $0 = token }
            return token.value
        }
    }

    private func fetch() throws -> Token {
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
        let lifetime = min(max(json["expires_in"]?.int64Value ?? 0, 0), Self.maxLifetime)
        let margin = min(Self.refreshMargin, lifetime / 2)
        return Token(value: value, refreshAt: clock() + lifetime - margin)
    }
}

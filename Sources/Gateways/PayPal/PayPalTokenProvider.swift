import PaymentsCore
import Signing
import Synchronization

/// The one OAuth2 client-credentials token all workers share (`POST /v1/oauth2/token`, research §2.1).
///
/// No lock is held during HTTP, and at most one token request is in flight (issue 6, defect 7): while it runs, a
/// caller whose cached token has not expired yet keeps using it, and the others fail at once with 503 rather than
/// queue behind a PayPal that may hang until the timeout. The token request goes through the `paypal` outbound
/// service, so its timeouts and 5xx answers count toward that circuit breaker like any other PayPal call.
public final class PayPalTokenProvider: Sendable {
    struct Token: Sendable {
        let value: String
        /// Unix seconds after which the token is refreshed (some time before PayPal's expiry).
        let refreshAt: Int64
        /// Unix seconds after which PayPal no longer accepts it.
        let expiresAt: Int64
    }

    private struct State {
        var token: Token?
        var fetching = false
        var fetches = 0
    }

    private enum Plan {
        case use(String)
        case fetch
        case busy
    }

    /// How long before PayPal's expiry a token is replaced (capped at half its lifetime).
    public static let refreshMargin: Int64 = 120
    /// Longest lifetime believed, whatever `expires_in` says (PayPal's are hours); keeps the refresh time in range.
    public static let maxLifetime: Int64 = 86_400

    private let configuration: PayPalConfiguration
    private let service: OutboundService
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    public init(configuration: PayPalConfiguration, service: OutboundService, clock: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.service = service
        self.clock = clock
    }

    /// A valid access token, fetched when none is cached or the cached one is due for replacement.
    /// - Throws: `APIError` 503 while another caller's token request is in flight and no valid token is cached;
    ///   the token request's own failure (502, 503 with the circuit open, `PayPalAPI.Failure`) otherwise.
    public func token() throws -> String { try obtain(replacing: nil) }

    /// Replaces `rejected` after PayPal answered 401 with it; a token another thread already replaced is reused.
    public func tokenAfterRejection(of rejected: String) throws -> String { try obtain(replacing: rejected) }

    /// Number of token requests made so far (for tests and metrics).
    public var refreshCount: Int { state.withLock { $0.fetches } }

    private func obtain(replacing rejected: String?) throws -> String {
        let now = clock()
        let plan = state.withLock { s -> Plan in
            // A token PayPal refused is never handed out again.
            if let rejected, s.token?.value == rejected { s.token = nil }
            if let token = s.token, now < token.refreshAt { return .use(token.value) }
            if s.fetching {
                if let token = s.token, now < token.expiresAt { return .use(token.value) }
                return .busy
            }
            s.fetching = true
            s.fetches += 1
            return .fetch
        }
        switch plan {
        case let .use(value):
            return value
        case .busy:
            throw APIError(
                .circuitOpen, "paypal sign-in is in progress, retry shortly", headers: [("Retry-After", "1")])
        case .fetch:
            let fetched = Result { try fetch() }
            state.withLock { s in
                s.fetching = false
                if case let .success(token) = fetched { s.token = token }
            }
            return try fetched.get().value
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
        let now = clock()
        return Token(value: value, refreshAt: now + lifetime - margin, expiresAt: now + lifetime)
    }
}

/// One OAuth access token shared by every worker thread, fetched when missing or close to its expiry.
///
/// The lock is never held during the fetch, and one fetch at most is in flight: while it runs, a caller holding a
/// cached token that has not expired keeps using it, and the others fail at once with 503 instead of queueing behind
/// a token endpoint that may hang until the timeout. A token the API answered 401 to is dropped and never handed out
/// again. The fetch itself is the caller's (the service-account assertion exchange for Google Play, …), so its
/// timeouts and 5xx answers count toward that service's circuit breaker.
public final class AccessTokenCache: Sendable {
    /// A token as the endpoint issued it.
    public struct Issued: Sendable {
        public let value: String
        /// Seconds it stays valid (`expires_in`).
        public let lifetime: Int64

        public init(value: String, lifetime: Int64) {
            self.value = value
            self.lifetime = lifetime
        }
    }

    private struct Held {
        let value: String
        /// Unix seconds from which the token is replaced.
        let renewAt: Int64
        /// Unix seconds from which the issuer no longer accepts it.
        let expiresAt: Int64
    }

    private enum Plan {
        case use(String)
        case wait
        case fetch
    }

    private struct State {
        var held: Held?
        var fetching = false
        var fetches = 0
    }

    /// Longest lifetime believed, whatever the issuer says; keeps the renewal time in range.
    public static let maxLifetime: Int64 = 86_400

    private let service: String
    private let renewMargin: Int64
    private let clock: @Sendable () -> Int64
    private let fetch: @Sendable () throws -> Issued
    private let state = Locked(State())

    /// - Parameters:
    ///   - service: names the issuer in the 503 message (`google`).
    ///   - renewMargin: how long before expiry a token is replaced (capped at half its lifetime).
    ///   - clock: unix seconds; tests pin it.
    ///   - fetch: obtains a new token; its errors reach the caller unchanged.
    public init(
        service: String, renewMargin: Int64, clock: @escaping @Sendable () -> Int64,
        fetch: @escaping @Sendable () throws -> Issued
    ) {
        self.service = service
        self.renewMargin = renewMargin
        self.clock = clock
        self.fetch = fetch
    }

    /// A valid token, fetched first when none is cached or the cached one is due for renewal.
    /// - Throws: `APIError` 503 while another caller's fetch is in flight and no unexpired token is cached; the
    ///   fetch's own error otherwise.
    public func token() throws -> String { try token(dropping: nil) }

    /// A token other than `rejected`, after the API answered 401 to it; one another thread already fetched is reused.
    /// - Throws: as `token()`.
    public func token(replacing rejected: String) throws -> String { try token(dropping: rejected) }

    /// Number of fetches started so far (for tests).
    public var fetchCount: Int { state.withLock { $0.fetches } }

    private func token(dropping rejected: String?) throws -> String {
        let now = clock()
        let plan = state.withLock { s -> Plan in
            if let rejected, s.held?.value == rejected { s.held = nil }
            if let held = s.held, now < held.renewAt { return .use(held.value) }
            if s.fetching {
                if let held = s.held, now < held.expiresAt { return .use(held.value) }
                return .wait
            }
            s.fetching = true
            s.fetches += 1
            return .fetch
        }
        switch plan {
        case let .use(value):
            return value
        case .wait:
            throw APIError(
                .circuitOpen, "\(service) sign-in is in progress, retry shortly", headers: [("Retry-After", "1")])
        case .fetch:
            let result = Result { try fetch() }
            let issuedAt = clock()
            state.withLock { s in
                s.fetching = false
                if case let .success(issued) = result {
                    let lifetime = min(max(issued.lifetime, 0), Self.maxLifetime)
                    s.held = Held(
                        value: issued.value, renewAt: issuedAt + lifetime - min(renewMargin, lifetime / 2),
                        expiresAt: issuedAt + lifetime)
                }
            }
            return try result.get().value
        }
    }
}

import Foundation

/// The shared, immutable dependencies every gateway and core route receives at start-up.
public final class GatewayServices: Sendable {
    public let core: CoreConfiguration
    public let transport: any HTTPTransport
    public let authenticator: any Authenticator
    public let recaptcha: any RecaptchaChecking
    /// The process's metrics (one registry, rendered by the `metrics` route).
    public let metrics: Metrics
    private let breakers: CircuitBreakerTable

    /// Makes the breaker table first, then the authenticator and the reCAPTCHA verifier from their outbound services
    /// in it (`firebase`, `recaptcha`), so their circuits are listed on the metrics page like every other.
    /// - Parameters:
    ///   - authenticator: builds the authenticator from the `firebase` outbound service.
    ///   - recaptcha: builds the verifier from the `recaptcha` outbound service.
    public init(
        core: CoreConfiguration, transport: any HTTPTransport, metrics: Metrics = Metrics(),
        authenticator makeAuthenticator: (OutboundService) -> any Authenticator,
        recaptcha makeRecaptcha: (OutboundService) -> any RecaptchaChecking
    ) {
        let breakers = CircuitBreakerTable(metrics: metrics)
        let timeout = core.httpTimeoutSeconds
        self.core = core
        self.transport = transport
        self.metrics = metrics
        self.breakers = breakers
        authenticator = makeAuthenticator(breakers.outbound("firebase", transport: transport, timeout: timeout))
        recaptcha = makeRecaptcha(breakers.outbound("recaptcha", transport: transport, timeout: timeout))
    }

    /// Takes an authenticator and a verifier that make no outbound calls through this table (tests' fakes).
    public init(
        core: CoreConfiguration, transport: any HTTPTransport, authenticator: any Authenticator,
        recaptcha: any RecaptchaChecking, metrics: Metrics = Metrics()
    ) {
        self.core = core
        self.transport = transport
        self.authenticator = authenticator
        self.recaptcha = recaptcha
        self.metrics = metrics
        self.breakers = CircuitBreakerTable(metrics: metrics)
    }

    /// The outbound client for a named service, sharing one circuit breaker per name.
    public func outbound(_ name: String) -> OutboundService {
        breakers.outbound(name, transport: transport, timeout: core.httpTimeoutSeconds)
    }

    /// Circuit states for the metrics page.
    public var circuitStates: [(String, CircuitBreaker.State)] { breakers.states }

    /// Unix seconds now.
    public var now: Int64 { Int64(Date().timeIntervalSince1970) }
}

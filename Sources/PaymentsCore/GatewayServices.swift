import Foundation
import Synchronization

/// The shared, immutable dependencies every gateway and core route receives at start-up.
public final class GatewayServices: Sendable {
    public let core: CoreConfiguration
    public let transport: any HTTPTransport
    public let authenticator: any Authenticator
    public let recaptcha: any RecaptchaChecking
    public let metrics: Metrics
    private let breakers: Mutex<[String: CircuitBreaker]>

    /// - Parameter breakers: breakers of services called outside `outbound(_:)` (Firebase, reCAPTCHA), listed on
    ///   the metrics page with the others.
    public init(
        core: CoreConfiguration, transport: any HTTPTransport, authenticator: any Authenticator,
        recaptcha: any RecaptchaChecking, metrics: Metrics = Metrics(), breakers: [CircuitBreaker] = []
    ) {
        self.core = core
        self.transport = transport
        self.authenticator = authenticator
        self.recaptcha = recaptcha
        self.metrics = metrics
        self.breakers = Mutex(Dictionary(breakers.map { ($0.service, $0) }) { first, _ in first })
    }

    /// The outbound client for a named service, sharing one circuit breaker per name.
    public func outbound(_ name: String) -> OutboundService {
        let breaker = breakers.withLock { table in
            if let existing = table[name] { return existing }
            let created = CircuitBreaker(service: name)
            table[name] = created
            return created
        }
        return OutboundService(name: name, transport: transport, breaker: breaker, timeout: core.httpTimeoutSeconds)
    }

    /// Circuit states for the metrics page.
    public var circuitStates: [(String, CircuitBreaker.State)] {
        breakers.withLock { table in table.map { ($0.key, $0.value.state) }.sorted { $0.0 < $1.0 } }
    }

    /// Unix seconds now.
    public var now: Int64 { Int64(Date().timeIntervalSince1970) }
}

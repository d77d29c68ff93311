import Synchronization

/// The one table of circuit breakers: one `CircuitBreaker` per outbound service name, made on first use and shared
/// by every caller of that service, so the metrics page lists every circuit.
public final class CircuitBreakerTable: Sendable {
    private let breakers = Mutex<[String: CircuitBreaker]>([:])

    /// An empty table.
    public init() {}

    /// The outbound client for the service `name`: its breaker from this table, the given transport and timeout.
    public func outbound(_ name: String, transport: any HTTPTransport, timeout: Double) -> OutboundService {
        let breaker = breakers.withLock { table in
            if let existing = table[name] { return existing }
            let created = CircuitBreaker(service: name)
            table[name] = created
            return created
        }
        return OutboundService(name: name, transport: transport, breaker: breaker, timeout: timeout)
    }

    /// Every breaker's state, by service name in alphabetical order.
    public var states: [(String, CircuitBreaker.State)] {
        breakers.withLock { table in table.map { ($0.key, $0.value.state) }.sorted { $0.0 < $1.0 } }
    }
}

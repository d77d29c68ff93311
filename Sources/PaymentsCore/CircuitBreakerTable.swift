/// The one table of circuit breakers: one `CircuitBreaker` (and one `OutboundMeter`) per outbound service name, made
/// on first use and shared by every caller of that service, so the metrics page lists every circuit.
public final class CircuitBreakerTable: Sendable {
    private let breakers = Locked<[String: (CircuitBreaker, OutboundMeter)]>([:])
    private let metrics: Metrics

    /// An empty table whose services record their calls in `metrics`.
    public init(metrics: Metrics = Metrics()) {
        self.metrics = metrics
    }

    /// The outbound client for the service `name`: its breaker and meter from this table, the given transport and
    /// timeout.
    public func outbound(_ name: String, transport: any HTTPTransport, timeout: Double) -> OutboundService {
        let (breaker, meter) = breakers.withLock { table in
            if let existing = table[name] { return existing }
            let created = (CircuitBreaker(service: name), metrics.outbound(name))
            table[name] = created
            return created
        }
        return OutboundService(name: name, transport: transport, breaker: breaker, timeout: timeout, meter: meter)
    }

    /// Every breaker's state, by service name in alphabetical order.
    public var states: [(String, CircuitBreaker.State)] {
        breakers.withLock { table in table.map { ($0.key, $0.value.0.state) }.sorted { $0.0 < $1.0 } }
    }
}

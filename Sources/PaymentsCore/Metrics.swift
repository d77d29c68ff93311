import CoreMetrics
import Prometheus

/// The process's metrics (README "Metrics"): swift-metrics handles backed by one Prometheus registry, whose
/// exposition text `render()` returns for `GET /api/metrics`.
///
/// Library code counts through this facade and never sees a Prometheus type; only the executables bootstrap the
/// global `MetricsSystem` with it. Handles are cached by name and labels, so each series is made once (under the
/// registry's lock, with its name checks); hot paths keep the handles they get (`RouteMeter`, `OutboundMeter`) and
/// then record with the registry's atomics (counters, gauges) or one short lock (histograms).
///
/// A name must keep one type and one set of label names for the whole process (the registry stops the process
/// otherwise): use the names of `MetricName` and their documented labels. Label values must come from bounded sets
/// (route names, service names, status codes), never from request data.
public final class Metrics: Sendable {
    /// A series: its name and its labels, flattened as name, value, name, value.
    private struct SeriesKey: Hashable {
        let name: String
        let labels: [String]

        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            self.labels = labels.flatMap { [$0.0, $0.1] }
        }
    }

    /// A counter's handle; a hot path keeps it rather than asking again.
    public struct Counter: Sendable {
        let base: CoreMetrics.Counter

        /// Adds `amount` (never negative).
        public func increment(by amount: Int = 1) {
            base.increment(by: amount)
        }
    }

    /// A gauge's handle; a hot path keeps it rather than asking again.
    public struct Gauge: Sendable {
        let base: Meter

        public func set(_ value: Double) {
            base.set(value)
        }

        public func increment(by amount: Double = 1) {
            base.increment(by: amount)
        }

        public func decrement(by amount: Double = 1) {
            base.decrement(by: amount)
        }
    }

    /// Histogram buckets of every duration: 1 ms to 10 s (the outbound timeout's range).
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = Locked<[SeriesKey: CoreMetrics.Counter]>([:])
    private let gauges = Locked<[SeriesKey: Meter]>([:])
    private let timers = Locked<[SeriesKey: CoreMetrics.Timer]>([:])
    /// `payments_webhooks_total` of each gateway, one counter per `WebhookOutcome` in `allCases` order: a delivery
    /// hashes only the gateway's name.
    private let webhookCounters = Locked<[String: [CoreMetrics.Counter]]>([:])

    /// What became of a webhook delivery, the `outcome` label of `payments_webhooks_total`.
    public enum WebhookOutcome: String, Sendable, CaseIterable {
        case processed, duplicate, rejected

        var index: Int {
            switch self {
            case .processed: 0
            case .duplicate: 1
            case .rejected: 2
            }
        }
    }

    /// An empty registry of its own (each test gets one; each executable makes one at start-up).
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
    }

    /// Makes this registry the process's swift-metrics backend; call once, from an executable's start-up.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(factory)
    }

    /// The counter of a series (made on first use).
    public func counter(_ name: String, labels: [(String, String)] = []) -> Counter {
        Counter(base: coreCounter(name, labels: labels))
    }

    /// The swift-metrics counter of a series, cached.
    func coreCounter(_ name: String, labels: [(String, String)]) -> CoreMetrics.Counter {
        Self.cached(in: counters, SeriesKey(name, labels)) {
            CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
        }
    }

    /// The gauge of a series (made on first use, at 0); it can be set, incremented and decremented.
    public func gauge(_ name: String, labels: [(String, String)] = []) -> Gauge {
        Gauge(
            base: Self.cached(in: gauges, SeriesKey(name, labels)) {
                Meter(label: name, dimensions: labels, factory: factory)
            })
    }

    /// The duration histogram of a series (made on first use, with `durationBuckets`); shown in seconds. Only the
    /// meters record durations (`RouteMeter`, `OutboundMeter`).
    func timer(_ name: String, labels: [(String, String)] = []) -> CoreMetrics.Timer {
        Self.cached(in: timers, SeriesKey(name, labels)) {
            CoreMetrics.Timer(label: name, dimensions: labels, factory: factory)
        }
    }

    /// The handle cached under `key`, made by `make` the first time.
    private static func cached<Handle>(
        in cache: Locked<[SeriesKey: Handle]>, _ key: SeriesKey, make: () -> Handle
    ) -> Handle {
        cache.withLock { table in
            if let existing = table[key] { return existing }
            let made = make()
            table[key] = made
            return made
        }
    }

    /// Adds `amount` to a counter; for events off the hot path (a hot path keeps its handle from `counter`).
    public func increment(_ name: String, labels: [(String, String)] = [], by amount: Int = 1) {
        counter(name, labels: labels).increment(by: amount)
    }

    /// Sets a gauge.
    public func set(_ name: String, labels: [(String, String)] = [], to value: Double) {
        gauge(name, labels: labels).set(value)
    }

    /// The request series of one route (`RequestPipeline` makes one per route at start-up).
    public func route(_ name: String) -> RouteMeter {
        RouteMeter(route: name, metrics: self)
    }

    /// The call series of one outbound service (`CircuitBreakerTable` makes one per service).
    public func outbound(_ service: String) -> OutboundMeter {
        OutboundMeter(service: service, metrics: self)
    }

    /// Counts one webhook delivery of the gateway with ledger id `gateway` (its three outcomes' series appear
    /// with its first delivery).
    public func countWebhook(gateway: String, outcome: WebhookOutcome) {
        let counters = webhookCounters.withLock { table in
            if let existing = table[gateway] { return existing }
            let made = WebhookOutcome.allCases.map {
                coreCounter(MetricName.webhooks, labels: [("gateway", gateway), ("outcome", $0.rawValue)])
            }
            table[gateway] = made
            return made
        }
        counters[outcome.index].increment()
    }

    /// Sets `payments_circuit_state` of every breaker: 0 closed, 1 half-open, 2 open.
    public func recordCircuits(_ states: [(String, CircuitBreaker.State)]) {
        for (service, state) in states {
            let value: Double =
                switch state {
                case .closed: 0
                case .halfOpen: 1
                case .open: 2
                }
            set(MetricName.circuitState, labels: [("service", service)], to: value)
        }
    }

    /// Every series in the Prometheus text exposition format (version 0.0.4).
    public func render() -> String {
        registry.emitToString()
    }
}

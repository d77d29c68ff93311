import CoreMetrics
import Synchronization

/// One route's request series: its duration histogram and its answers by status.
///
/// Made for every route at start-up, but its series are made on first use, so the page lists only routes that
/// were called. After that a request costs one histogram sample (a short lock in the registry), one dictionary
/// look-up under an uncontended lock for its status, and one atomic increment.
public final class RouteMeter: Sendable {
    /// The route name (`stripe-handleWebhookEvents`), or `unknown` / `preflight`.
    public let route: String
    private let metrics: Metrics
    private let duration = AtomicLazyReference<CoreMetrics.Timer>()
    private let answers = Locked<[Int: CoreMetrics.Counter]>([:])

    init(route: String, metrics: Metrics) {
        self.route = route
        self.metrics = metrics
    }

    /// Records one answer: its status and the time it took.
    /// - Parameters:
    ///   - status: the HTTP status sent.
    ///   - nanoseconds: from the request's arrival at the pipeline to its answer.
    public func record(status: Int, nanoseconds: UInt64) {
        let timer =
            duration.load()
            ?? duration.storeIfNil(metrics.timer(MetricName.requestDuration, labels: [("route", route)]))
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
        let counter = answers.withLock { table in
            if let existing = table[status] { return existing }
            let made = metrics.coreCounter(
                MetricName.requests, labels: [("route", route), ("status", String(status))])
            table[status] = made
            return made
        }
        counter.increment()
    }
}

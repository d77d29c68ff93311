import Foundation
import Synchronization

/// In-process counters for the Prometheus page (DESIGN §11): requests by route and status, webhooks by
/// gateway and outcome. Gauges that need the database are added by the metrics route itself.
///
/// Counting is on every request's path, so it only hashes the label values; text is built when the page is read.
public final class Metrics: Sendable {
    private struct LabelPair: Hashable {
        let first: String
        let second: String
    }

    private let requests = Mutex<[LabelPair: Int]>([:])
    private let webhooks = Mutex<[LabelPair: Int]>([:])
    private let eventPublishFailures = Mutex(0)

    public init() {}

    /// Route names come from the router (or `unknown`/`preflight`), so the label set stays bounded.
    public func countRequest(route: String, status: Int) {
        let key = LabelPair(first: route, second: String(status))
        requests.withLock { $0[key, default: 0] += 1 }
    }

    public func countWebhook(gateway: String, outcome: String) {
        let key = LabelPair(first: gateway, second: outcome)
        webhooks.withLock { $0[key, default: 0] += 1 }
    }

    /// A session event nchan's publisher did not take (refused, timed out, or dropped from a full queue).
    public func countEventPublishFailure() {
        eventPublishFailures.withLock { $0 += 1 }
    }

    /// The counters in Prometheus text format.
    public func render() -> String {
        var out = "# HELP payments_requests_total API requests by route and status.\n"
        out += "# TYPE payments_requests_total counter\n"
        out += Metrics.lines("payments_requests_total", ("route", "status"), requests.withLock { $0 })
        out += "# HELP payments_webhooks_total Webhook deliveries by gateway and outcome.\n"
        out += "# TYPE payments_webhooks_total counter\n"
        out += Metrics.lines("payments_webhooks_total", ("gateway", "outcome"), webhooks.withLock { $0 })
        out += "# HELP payments_event_publish_failures_total Session events the nchan publisher did not take.\n"
        out += "# TYPE payments_event_publish_failures_total counter\n"
        out += "payments_event_publish_failures_total \(eventPublishFailures.withLock { $0 })\n"
        return out
    }

    private static func lines(_ name: String, _ labels: (String, String), _ counts: [LabelPair: Int]) -> String {
        counts.map { pair, count in
            "\(name){\(labels.0)=\"\(escape(pair.first))\",\(labels.1)=\"\(escape(pair.second))\"} \(count)\n"
        }.sorted().joined()
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

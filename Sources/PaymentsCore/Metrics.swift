import Foundation
import Synchronization

/// In-process counters for the Prometheus page (DESIGN §11): requests by route and status, webhooks by
/// gateway and outcome. Gauges that need the database are added by the metrics route itself.
public final class Metrics: Sendable {
    private let requests = Mutex<[String: Int]>([:])
    private let webhooks = Mutex<[String: Int]>([:])

    public init() {}

    public func countRequest(route: String, status: Int) {
        let key = "route=\"\(Metrics.escape(route))\",status=\"\(status)\""
        requests.withLock { $0[key, default: 0] += 1 }
    }

    public func countWebhook(gateway: String, outcome: String) {
        let key = "gateway=\"\(Metrics.escape(gateway))\",outcome=\"\(Metrics.escape(outcome))\""
        webhooks.withLock { $0[key, default: 0] += 1 }
    }

    /// The counters in Prometheus text format.
    public func render() -> String {
        var out =
            "# HELP payments_requests_total API requests by route and status.\n# TYPE payments_requests_total counter\n"
        for (labels, count) in requests.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            out += "payments_requests_total{\(labels)} \(count)\n"
        }
        out +=
            "# HELP payments_webhooks_total Webhook deliveries by gateway and outcome.\n# TYPE payments_webhooks_total counter\n"
        for (labels, count) in webhooks.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            out += "payments_webhooks_total{\(labels)} \(count)\n"
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

import Foundation
import PaymentsCore
import Synchronization
import Testing

@Suite struct MetricsTests {
    /// The exposition's sample lines, as `name{labels}` → value text.
    static func samples(_ metrics: Metrics) -> [String: String] {
        var values: [String: String] = [:]
        for line in metrics.render().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return values
    }

    @Test func rendersCountersInPrometheusTextEscaped() {
        let metrics = Metrics()
        let webhooks = metrics.route("stripe-handleWebhookEvents")
        webhooks.record(status: 200, nanoseconds: 1_000_000)
        webhooks.record(status: 200, nanoseconds: 1_000_000)
        metrics.route("health").record(status: 503, nanoseconds: 1_000_000)
        metrics.countWebhook(gateway: "stripe", outcome: .processed)
        metrics.countWebhook(gateway: "odd\"gw", outcome: .rejected)
        let lines = metrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE payments_requests_total counter"))
        #expect(lines.contains("# TYPE payments_webhooks_total counter"))
        let requests = lines.filter { $0.hasPrefix("payments_requests_total{") }.sorted()
        #expect(
            requests == [
                "payments_requests_total{route=\"health\",status=\"503\"} 1",
                "payments_requests_total{route=\"stripe-handleWebhookEvents\",status=\"200\"} 2",
            ])
        #expect(lines.contains("payments_webhooks_total{gateway=\"odd\\\"gw\",outcome=\"rejected\"} 1"))
        #expect(lines.contains("payments_webhooks_total{gateway=\"stripe\",outcome=\"processed\"} 1"))
        #expect(lines.contains("payments_webhooks_total{gateway=\"stripe\",outcome=\"duplicate\"} 0"))
    }

    @Test func aRouteHistogramShowsItsBucketsSumAndCount() {
        let metrics = Metrics()
        let route = metrics.route("demo-pay")
        route.record(status: 200, nanoseconds: 3_000_000)
        route.record(status: 201, nanoseconds: 700_000_000)
        let lines = metrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE payments_request_duration_seconds histogram"))
        let buckets = lines.filter { $0.hasPrefix("payments_request_duration_seconds_bucket{route=\"demo-pay\",") }
        #expect(
            buckets
                == [
                    "0.001\"} 0", "0.0025\"} 0", "0.005\"} 1", "0.01\"} 1", "0.025\"} 1", "0.05\"} 1", "0.1\"} 1",
                    "0.25\"} 1", "0.5\"} 1", "1.0\"} 2", "2.5\"} 2", "5.0\"} 2", "10.0\"} 2", "+Inf\"} 2",
                ].map { "payments_request_duration_seconds_bucket{route=\"demo-pay\",le=\"" + $0 })
        let values = Self.samples(metrics)
        #expect(values["payments_request_duration_seconds_count{route=\"demo-pay\"}"] == "2")
        #expect(values["payments_request_duration_seconds_sum{route=\"demo-pay\"}"] == "0.703")
        #expect(values["payments_requests_total{route=\"demo-pay\",status=\"201\"}"] == "1")
        // A route that was never called has no series.
        _ = metrics.route("demo-idle")
        #expect(!metrics.render().contains("demo-idle"))
    }

    @Test func theCircuitGaugeFollowsTheBreakerState() {
        let metrics = Metrics()
        let now = Mutex(1000.0)
        let breaker = CircuitBreaker(service: "stripe", clock: { now.withLock { $0 } })
        let gauge = "payments_circuit_state{service=\"stripe\"}"
        metrics.recordCircuits([("stripe", breaker.state)])
        #expect(Self.samples(metrics)[gauge] == "0.0")
        for _ in 0..<5 { breaker.recordFailure() }
        metrics.recordCircuits([("stripe", breaker.state)])
        #expect(Self.samples(metrics)[gauge] == "2.0")
        now.withLock { $0 += 30 }
        metrics.recordCircuits([("stripe", breaker.state)])
        #expect(Self.samples(metrics)[gauge] == "1.0")
        breaker.recordSuccess()
        metrics.recordCircuits([("stripe", breaker.state)])
        #expect(Self.samples(metrics)[gauge] == "0.0")
    }

    /// Answers 200, then 503, then fails with a timeout, then with a refused connection.
    private final class Scripted: HTTPTransport {
        let step = Mutex(0)
        func send(_ request: HTTPRequest) throws -> HTTPResponse {
            let index = step.withLock { value in
                defer { value += 1 }
                return value
            }
            switch index {
            case 0: return HTTPResponse(status: 200)
            case 1: return HTTPResponse(status: 503)
            case 2: throw HTTPTransportError(.timeout, "slow")
            default: throw HTTPTransportError(.connection, "refused")
            }
        }
    }

    @Test func outboundCallsAreTimedAndTheirFailuresCountedByKind() {
        let metrics = Metrics()
        let table = CircuitBreakerTable(metrics: metrics)
        let service = table.outbound("stripe", transport: Scripted(), timeout: 5)
        let request = HTTPRequest(method: "GET", url: "http://127.0.0.1:9/")
        #expect(throws: Never.self) { try service.send(request) }
        for _ in 0..<4 { #expect(throws: APIError.self) { try service.send(request) } }
        // Five failures in a row would open it; four did not: every call reached the transport.
        let values = Self.samples(metrics)
        #expect(values["payments_outbound_request_duration_seconds_count{service=\"stripe\"}"] == "5")
        #expect(values["payments_outbound_errors_total{service=\"stripe\",kind=\"http_5xx\"}"] == "1")
        #expect(values["payments_outbound_errors_total{service=\"stripe\",kind=\"timeout\"}"] == "1")
        #expect(values["payments_outbound_errors_total{service=\"stripe\",kind=\"connection\"}"] == "2")
        // The fifth failure opens the circuit; the next call is refused without reaching the transport.
        #expect(throws: APIError.self) { try service.send(request) }
        #expect(throws: APIError.self) { try service.send(request) }
        let after = Self.samples(metrics)
        #expect(after["payments_outbound_request_duration_seconds_count{service=\"stripe\"}"] == "6")
        #expect(after["payments_outbound_errors_total{service=\"stripe\",kind=\"circuit_open\"}"] == "1")
    }

    @Test func genericCountersAndGaugesShareOneSeriesPerNameAndLabels() {
        let metrics = Metrics()
        metrics.increment("payments_demo_total", labels: [("reason", "a")])
        metrics.increment("payments_demo_total", labels: [("reason", "a")], by: 2)
        metrics.counter("payments_demo_total", labels: [("reason", "b")]).increment()
        metrics.set(MetricName.buildInfo, labels: [("version", "1.2.3"), ("commit", "abc")], to: 1)
        let gauge = metrics.gauge(MetricName.workersBusy)
        gauge.increment()
        gauge.increment()
        gauge.decrement()
        let values = Self.samples(metrics)
        #expect(values["payments_demo_total{reason=\"a\"}"] == "3")
        #expect(values["payments_demo_total{reason=\"b\"}"] == "1")
        #expect(values["payments_build_info{version=\"1.2.3\",commit=\"abc\"}"] == "1.0")
        #expect(values["payments_workers_busy"] == "1.0")
        #expect(metrics.render().contains("# TYPE payments_build_info gauge\n"))
    }
}

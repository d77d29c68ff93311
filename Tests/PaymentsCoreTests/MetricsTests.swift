import PaymentsCore
import Testing

@Suite struct MetricsTests {
    @Test func rendersCountersInPrometheusTextSortedAndEscaped() {
        let metrics = Metrics()
        metrics.countRequest(route: "stripe-handleWebhookEvents", status: 200)
        metrics.countRequest(route: "stripe-handleWebhookEvents", status: 200)
        metrics.countRequest(route: "health", status: 503)
        metrics.countWebhook(gateway: "stripe", outcome: "processed")
        metrics.countWebhook(gateway: "odd\"gw", outcome: "rejected")
        let lines = metrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE payments_requests_total counter"))
        #expect(lines.contains("# TYPE payments_webhooks_total counter"))
        let requests = lines.filter { $0.hasPrefix("payments_requests_total{") }
        #expect(
            requests == [
                "payments_requests_total{route=\"health\",status=\"503\"} 1",
                "payments_requests_total{route=\"stripe-handleWebhookEvents\",status=\"200\"} 2",
            ])
        #expect(lines.contains("payments_webhooks_total{gateway=\"odd\\\"gw\",outcome=\"rejected\"} 1"))
        #expect(lines.contains("payments_webhooks_total{gateway=\"stripe\",outcome=\"processed\"} 1"))
    }
}

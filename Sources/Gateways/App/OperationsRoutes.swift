import PaymentsCore

/// `health` and `metrics`: unprefixed, unauthenticated, never rate-limited (nginx keeps metrics to loopback).
public struct OperationsRoutes: PaymentGateway {
    let services: GatewayServices

    public init(_ context: GatewayContext) throws {
        services = context.services
    }

    public var routes: [Route] {
        [
            Route(.get, "health", access: .open, handler: health),
            Route(.get, "metrics", access: .open, handler: metrics),
        ]
    }

    func health(_ context: RequestContext) throws -> APIResponse {
        do {
            try context.ledger.ping()
            return .json(.object([("status", .string("ok")), ("db", .string("ok"))]))
        } catch {
            return .json(.object([("status", .string("error")), ("db", .string("down"))]), status: 503)
        }
    }

    func metrics(_ context: RequestContext) throws -> APIResponse {
        var text = services.metrics.render()
        if let backlog = try? context.ledger.syncBacklog() {
            text += "# HELP payments_unsynced_rows Ledger rows not yet accepted by the Retail API.\n"
            text += "# TYPE payments_unsynced_rows gauge\npayments_unsynced_rows \(backlog.unsynced)\n"
            text += "# HELP payments_oldest_unsynced_seconds Age of the oldest unsynced row.\n"
            text +=
                "# TYPE payments_oldest_unsynced_seconds gauge\npayments_oldest_unsynced_seconds \(backlog.oldestSeconds)\n"
        }
        text +=
            "# HELP payments_circuit_state Circuit breaker state per outbound service (0 closed, 1 half-open, 2 open).\n"
        text += "# TYPE payments_circuit_state gauge\n"
        for (service, state) in services.circuitStates {
            let value = state == .closed ? 0 : state == .halfOpen ? 1 : 2
            text += "payments_circuit_state{service=\"\(service)\"} \(value)\n"
        }
        return APIResponse(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(text.utf8))
    }
}

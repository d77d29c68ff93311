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

    /// The registry's series (README "Metrics"), with the circuit states as they are now and, when the database
    /// answers, the backlog gauges (left out otherwise, rather than shown stale).
    func metrics(_ context: RequestContext) throws -> APIResponse {
        services.metrics.recordCircuits(services.circuitStates)
        var text = services.metrics.render()
        if let backlog = try? context.ledger.syncBacklog() {
            text += "# TYPE \(MetricName.unsyncedRows) gauge\n\(MetricName.unsyncedRows) \(backlog.unsynced)\n"
            text += "# TYPE \(MetricName.oldestUnsyncedSeconds) gauge\n"
            text += "\(MetricName.oldestUnsyncedSeconds) \(backlog.oldestSeconds)\n"
        }
        return APIResponse(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(text.utf8))
    }
}

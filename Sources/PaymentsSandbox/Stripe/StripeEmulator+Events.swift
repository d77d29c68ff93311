import PaymentsCore

extension StripeEmulator {
    /// `GET /control/stripe/events[?type=…&payment_intent=…]`: emitted events, oldest first, with delivery status.
    func events(_ request: SandboxRequest) -> SandboxResponse {
        let type = request.queryValue("type")
        let intent = request.queryValue("payment_intent")
        let records = state.withLock { $0.events }.filter { record in
            (type.map { $0 == record.type } ?? true) && (intent.map { $0 == record.paymentIntent } ?? true)
        }
        return .json(200, .object([("data", .array(records.map(\.json)))]))
    }

    /// `redeliver {"event_id", "timestamp"?, "secret"?}`: queues the stored event again, optionally signed with a
    /// given `t` (stale-timestamp tests) or another secret (bad-signature tests).
    func redeliver(_ body: JSONValue) -> SandboxResponse {
        guard let eventID = body["event_id"]?.stringValue else { return .controlError(400, "event_id is required") }
        guard hasWebhookTarget else { return .controlError(409, "SANDBOX_WEBHOOK_TARGET is not set") }
        if let timestamp = body["timestamp"], timestamp.lenientInt == nil {
            return .controlError(400, "timestamp must be an integer")
        }
        let record = state.withLock { store -> StripeEventRecord? in
            guard let index = store.eventIndex[eventID], store.events.indices.contains(index) else { return nil }
            store.events[index].deliveryStatus = "pending"
            return store.events[index]
        }
        guard let record else { return .controlError(404, "no such event: \(eventID)") }
        dispatcher.enqueue(
            key: record.paymentIntent,
            job: WebhookDispatcher.Job(
                eventID: record.id, payload: record.payload, timestamp: body["timestamp"]?.lenientInt,
                secret: body["secret"]?.stringValue,
                report: { [self] report in self.state.withLock { $0.recordDelivery(report) } }))
        return .json(200, record.json)
    }

    /// `fail {"endpoint", "times", "status"}`: the next `times` calls of the endpoint answer `status`
    /// (0 closes the connection unanswered). Injected answers are never stored under an idempotency key.
    func fail(_ body: JSONValue) -> SandboxResponse {
        guard let endpoint = body["endpoint"]?.stringValue, Self.failableEndpoints.contains(endpoint) else {
            return .controlError(
                400, "endpoint must be one of \(Self.failableEndpoints.sorted().joined(separator: "|"))")
        }
        let times = body["times"]?.lenientInt ?? 1
        let status = body["status"]?.lenientInt ?? 500
        guard (0...1_000_000).contains(times), status == 0 || (400...599).contains(status) else {
            return .controlError(400, "times must be >= 0 and status 0 or 400...599")
        }
        state.withLock { store in
            store.failures[endpoint] = times > 0 ? StripeStore.Failure(remaining: Int(times), status: Int(status)) : nil
        }
        return .json(200, .object([("endpoint", .string(endpoint)), ("times", .int(times)), ("status", .int(status))]))
    }
}

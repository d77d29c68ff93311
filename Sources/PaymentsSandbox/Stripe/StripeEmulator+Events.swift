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
            job: job(for: record, timestamp: body["timestamp"]?.lenientInt, secret: body["secret"]?.stringValue))
        return .json(200, record.json)
    }

    /// `hold {"id"}`: from now on the PaymentIntent's events are recorded (`delivery_status` `held`) but not sent.
    func hold(_ body: JSONValue) -> SandboxResponse {
        guard let id = body["id"]?.stringValue, !id.isEmpty else { return .controlError(400, "id is required") }
        state.withLock { _ = $0.holding.insert(id) }
        return .json(200, .object([("holding", .string(id))]))
    }

    /// `release {"id", "order": "reverse"|"shuffle"|"in-order"}`: stops holding the PaymentIntent and delivers its held
    /// events in that order, each on its own (a failed one is retried without holding back the others). Answers
    /// after the first attempts, with each event's id, type and first HTTP status in delivery order.
    func release(_ body: JSONValue) -> SandboxResponse {
        guard let id = body["id"]?.stringValue, !id.isEmpty else { return .controlError(400, "id is required") }
        let order = body["order"]?.stringValue ?? "reverse"
        guard ["reverse", "shuffle", "in-order"].contains(order) else {
            return .controlError(400, "order must be reverse|shuffle|in-order")
        }
        guard hasWebhookTarget else { return .controlError(409, "SANDBOX_WEBHOOK_TARGET is not set") }
        var records = state.withLock { store -> [StripeEventRecord] in
            store.holding.remove(id)
            let mine = store.held.filter { $0.paymentIntent == id }
            store.held.removeAll { $0.paymentIntent == id }
            for record in mine {
                if let index = store.eventIndex[record.id], store.events.indices.contains(index) {
                    store.events[index].deliveryStatus = "pending"
                }
            }
            return mine
        }
        switch order {
        case "reverse": records.reverse()
        case "shuffle": records.shuffle()
        default: break
        }
        let statuses = dispatcher.deliverIndependently(records.map { job(for: $0) })
        let delivered = zip(records, statuses).map { record, status -> JSONValue in
            .object([
                ("id", .string(record.id)), ("type", .string(record.type)),
                ("first_http_status", status.map { .int($0) } ?? .null),
            ])
        }
        return .json(200, .object([("released", .array(delivered))]))
    }

    /// `fail {"endpoint", "times", "status", "mode", "id"}`: the next `times` calls of the endpoint (for PaymentIntent
    /// `id` only, when given) answer `status` (0 closes the connection unanswered). `mode` `before` (default): nothing
    /// is performed and nothing stored under the idempotency key; `after`: the call is performed, and stored under its
    /// key as Stripe stores it, and then its answer is lost (a capture that happened, whose answer never came back).
    func fail(_ body: JSONValue) -> SandboxResponse {
        guard let endpoint = body["endpoint"]?.stringValue, Self.failableEndpoints.contains(endpoint) else {
            return .controlError(
                400, "endpoint must be one of \(Self.failableEndpoints.sorted().joined(separator: "|"))")
        }
        let times = body["times"]?.lenientInt ?? 1
        let status = body["status"]?.lenientInt ?? 500
        let mode = body["mode"]?.stringValue ?? "before"
        guard (0...1_000_000).contains(times), status == 0 || (400...599).contains(status),
            mode == "before" || mode == "after"
        else {
            return .controlError(400, "times must be >= 0, status 0 or 400...599, mode before|after")
        }
        let failure = StripeStore.Armed(
            remaining: Int(times), value: StripeStore.Failure(status: Int(status), after: mode == "after"),
            intent: body["id"]?.stringValue)
        state.withLock { store in store.failures[endpoint] = times > 0 ? failure : nil }
        return .json(
            200,
            .object([
                ("endpoint", .string(endpoint)), ("times", .int(times)), ("status", .int(status)),
                ("mode", .string(mode)), ("id", .optional(failure.intent)),
            ]))
    }

    /// `latency {"endpoint", "ms", "times", "id"}`: the next `times` calls of the endpoint (for PaymentIntent `id` only,
    /// when given) wait `ms` before they are performed — a capture in flight long enough to act meanwhile.
    func latency(_ body: JSONValue) -> SandboxResponse {
        guard let endpoint = body["endpoint"]?.stringValue, Self.failableEndpoints.contains(endpoint) else {
            return .controlError(
                400, "endpoint must be one of \(Self.failableEndpoints.sorted().joined(separator: "|"))")
        }
        let times = body["times"]?.lenientInt ?? 1
        guard let milliseconds = body["ms"]?.lenientInt, (0...120_000).contains(milliseconds),
            (0...1_000_000).contains(times)
        else { return .controlError(400, "ms must be 0...120000 and times >= 0") }
        let latency = StripeStore.Armed(
            remaining: Int(times), value: Int(milliseconds), intent: body["id"]?.stringValue)
        state.withLock { store in store.latencies[endpoint] = times > 0 && milliseconds > 0 ? latency : nil }
        return .json(
            200, .object([("endpoint", .string(endpoint)), ("ms", .int(milliseconds)), ("times", .int(times))]))
    }
}

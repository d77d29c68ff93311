import PaymentsCore

extension PayPalEmulator {
    /// Routes `/control/paypal/...` (segments after `control/paypal`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        if request.method == "GET" {
            switch (path.count, path.first ?? "") {
            case (1, "events"): return events(request)
            case (2, "orders"): return order(path[1])
            case (1, "cert-fetches"):
                let (fetches, total) = state.withLock {
                    ($0.certificateFetches.sorted { $0.key < $1.key }, $0.unauthenticatedRequests)
                }
                return .json(
                    200,
                    .object([
                        ("fetches", .object(fetches.map { ($0.key, JSONValue.int($0.value)) })), ("total", .int(total)),
                    ]))
            case (1, "token"):
                let (requests, hang) = state.withLock { ($0.tokenRequests, $0.tokenHangMilliseconds) }
                return .json(200, .object([("token_requests", .int(requests)), ("hang_ms", .int(hang))]))
            default: return .controlError(404, "unknown control endpoint \(request.path)")
            }
        }
        guard request.method == "POST", path.count == 1 else {
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
        guard let body = JSONValue.controlBody(request) else { return .controlError(400, "body must be a JSON object") }
        let response: SandboxResponse
        switch path[0] {
        case "approve": response = run(body, approve)
        case "capture-mode": response = run(body, captureMode)
        case "complete":
            response = run(body) { store, body, deliver throws(PayPalError) in
                try self.settlePending(&store, body, deliver, to: "COMPLETED")
            }
        case "deny":
            response = run(body) { store, body, deliver throws(PayPalError) in
                try self.settlePending(&store, body, deliver, to: "DECLINED")
            }
        case "refund", "reverse":
            let reversal = path[0] == "reverse"
            response = run(body) { store, body, deliver throws(PayPalError) in
                let cents = body["amount"]?.lenientInt
                return try self.takeBack(
                    &store, captureID: try Self.requireID(body), cents: cents, reversal: reversal, deliver: deliver
                )
                .json(base: self.base)
            }
        case "expire", "void":
            let expire = path[0] == "expire"
            response = run(body) { store, body, _ throws(PayPalError) in
                let id = try Self.requireID(body)
                guard var order = store.orders[id] else { throw PayPalError.notFound("order_id") }
                if expire { order.expired = true } else { order.status = "VOIDED" }
                store.orders[id] = order
                return order.minimalJSON(base: self.base)
            }
        case "token":
            // At most a year, so `now + ttl` at the next token request stays in range.
            if let ttl = body["ttl"], !(ttl.lenientInt.map { (0...31_536_000).contains($0) } ?? false) {
                return .controlError(400, "ttl must be an integer 0...31536000")
            }
            state.withLock { store in
                if let ttl = body["ttl"]?.lenientInt, ttl >= 0 { store.tokenTTL = ttl }
                if let hang = body["hang_ms"]?.lenientInt, (0...120_000).contains(hang) {
                    store.tokenHangMilliseconds = Int(hang)
                }
                if body["revoke"]?.boolValue == true { store.tokens.removeAll() }
            }
            return .json(200, .object([("ttl", .int(state.withLock { $0.tokenTTL }))]))
        case "redeliver": return redeliver(body)
        case "reset":
            state.withLock { $0 = PayPalStore() }
            return .json(200, .object([("reset", .bool(true))]))
        default: return .controlError(404, "unknown control endpoint \(request.path)")
        }
        flushEvents()
        return response
    }

    /// Runs a mutation under the lock; the answer is the affected object plus `sandbox_events` (ids emitted).
    private func run(
        _ body: JSONValue, _ operation: (inout PayPalStore, JSONValue, Bool) throws(PayPalError) -> JSONValue
    ) -> SandboxResponse {
        let deliver = body["deliver"]?.boolValue ?? true
        do throws(PayPalError) {
            let value = try mutate { store throws(PayPalError) in
                try store.answeringWithEvents { store throws(PayPalError) in try operation(&store, body, deliver) }
            }
            return .json(200, value)
        } catch {
            return .json(error.status, error.body)
        }
    }

    static func requireID(_ body: JSONValue) throws(PayPalError) -> String {
        guard let id = body["id"]?.stringValue, !id.isEmpty else {
            throw PayPalError.invalid("id", "MISSING_REQUIRED_PARAMETER", "id is required")
        }
        return id
    }

    /// `approve {"id", "deliver"}`: the buyer approved; `deliver:false` also keeps this order's later API events undelivered.
    private func approve(_ store: inout PayPalStore, _ body: JSONValue, _ deliver: Bool) throws(PayPalError)
        -> JSONValue
    {
        let id = try Self.requireID(body)
        guard var order = store.orders[id] else { throw PayPalError.notFound("order_id") }
        guard order.status == "CREATED" || order.status == "APPROVED" else {
            throw PayPalError.unprocessable("ORDER_CANNOT_BE_APPROVED", "Order is \(order.status).")
        }
        order.status = "APPROVED"
        order.deliver = deliver
        store.orders[id] = order
        store.emit(
            "CHECKOUT.ORDER.APPROVED", orderID: id, resourceType: "checkout-order",
            resource: order.json(base: base, capture: nil),
            summary: "An order has been approved by buyer", base: base, deliver: deliver, hasTarget: hasWebhookTarget)
        return order.json(base: base, capture: nil)
    }

    /// `capture-mode {"id", "mode", "deliver"?}`: how the order's next capture behaves.
    private func captureMode(_ store: inout PayPalStore, _ body: JSONValue, _ deliver: Bool) throws(PayPalError)
        -> JSONValue
    {
        let id = try Self.requireID(body)
        guard var order = store.orders[id] else { throw PayPalError.notFound("order_id") }
        guard let mode = body["mode"]?.stringValue?.uppercased(), PayPalSandboxOrder.captureModes.contains(mode) else {
            throw PayPalError.invalid(
                "mode", "INVALID_PARAMETER_VALUE",
                "mode must be one of \(PayPalSandboxOrder.captureModes.sorted().joined(separator: "|"))")
        }
        order.captureMode = mode
        if body["deliver"] != nil { order.deliver = deliver }
        store.orders[id] = order
        return order.minimalJSON(base: base).setting("capture_mode", .string(mode))
    }

    /// `complete` / `deny {"id": capture or order, "deliver"}`: a PENDING capture becomes COMPLETED (→ PAYMENT.CAPTURE.COMPLETED)
    /// or DECLINED (→ PAYMENT.CAPTURE.DENIED).
    private func settlePending(_ store: inout PayPalStore, _ body: JSONValue, _ deliver: Bool, to status: String)
        throws(PayPalError) -> JSONValue
    {
        let id = try Self.requireID(body)
        guard let captureID = store.captureID(for: id), var capture = store.captures[captureID] else {
            throw PayPalError.notFound("capture_id")
        }
        guard capture.status == "PENDING" else {
            throw PayPalError.unprocessable("CAPTURE_NOT_PENDING", "The capture is \(capture.status).")
        }
        capture.status = status
        capture.updated = PayPalStore.timestamp()
        store.captures[captureID] = capture
        let completed = status == "COMPLETED"
        store.emit(
            completed ? "PAYMENT.CAPTURE.COMPLETED" : "PAYMENT.CAPTURE.DENIED", orderID: capture.orderID,
            resourceType: "capture",
            resource: capture.json(base: base), summary: completed ? "Payment completed" : "Payment denied", base: base,
            deliver: deliver, hasTarget: hasWebhookTarget)
        return capture.json(base: base)
    }

    /// `GET /control/paypal/events[?order_id=&type=]`: emitted events, oldest first, with delivery status.
    private func events(_ request: SandboxRequest) -> SandboxResponse {
        let orderID = request.queryValue("order_id")
        let type = request.queryValue("type")
        let records = state.withLock { $0.events }.filter { record in
            (orderID.map { $0 == record.orderID } ?? true) && (type.map { $0 == record.type } ?? true)
        }
        return .json(200, .object([("data", .array(records.map(\.json)))]))
    }

    /// `GET /control/paypal/orders/{id}`: the order with its capture, `capture_calls`, `capture_request_ids` (every
    /// capture call's `PayPal-Request-Id`, replays included) and refunds.
    private func order(_ id: String) -> SandboxResponse {
        let found = state.withLock { store -> JSONValue? in
            guard let order = store.orders[id] else { return nil }
            let capture = order.captureID.flatMap { store.captures[$0] }
            let refunds = store.refunds.values.filter { $0.captureID == order.captureID }.sorted {
                $0.created < $1.created
            }
            return order.json(base: base, capture: capture)
                .setting("capture_calls", .int(store.captureCalls[id] ?? 0))
                .setting("capture_request_ids", .array((store.captureRequestIDs[id] ?? []).map { .string($0) }))
                .setting(
                    "capture_mode", .string(order.captureMode)
                )
                .setting("expired", .bool(order.expired)).setting(
                    "refunds", .array(refunds.map { $0.json(base: base) }))
        }
        guard let found else { return .controlError(404, "no such order: \(id)") }
        return .json(200, found)
    }

    /// `redeliver {"event_id", "webhook_id"?, "cert"?: "rogue", "key"?: "rogue", "cert_url"?, "tamper"?, "algo"?,
    /// "transmission_time"?}`: one synchronous delivery of a stored event, forged as asked (`transmission_time` is
    /// signed genuinely, to show the freshness window); answers the backend's status and body.
    private func redeliver(_ body: JSONValue) -> SandboxResponse {
        guard let eventID = body["event_id"]?.stringValue else { return .controlError(400, "event_id is required") }
        guard hasWebhookTarget else { return .controlError(409, "SANDBOX_WEBHOOK_TARGET is not set") }
        guard let record = state.withLock({ store in store.eventIndex[eventID].map { store.events[$0] } }) else {
            return .controlError(404, "no such event: \(eventID)")
        }
        let rogueCert = body["cert"]?.stringValue == "rogue"
        var forgery = PayPalWebhookSender.Forgery()
        forgery.webhookID = body["webhook_id"]?.stringValue
        forgery.rogueKey = rogueCert || body["key"]?.stringValue == "rogue"
        forgery.certURL = body["cert_url"]?.stringValue ?? (rogueCert ? sender.rogueCertURL : nil)
        forgery.tamper = body["tamper"]?.boolValue ?? false
        forgery.algorithm = body["algo"]?.stringValue
        forgery.transmissionTime = body["transmission_time"]?.stringValue
        let forged =
            forgery.webhookID != nil || forgery.rogueKey || forgery.certURL != nil || forgery.tamper
            || forgery.algorithm != nil || forgery.transmissionTime != nil
        let attempt = sender.sendOnce(record.payload, forgery: forgery)
        if !forged {
            let delivered = attempt.status.map { (200..<300).contains($0) } ?? false
            state.withLock {
                $0.recordDelivery(
                    eventID: eventID, status: delivered ? "delivered" : "failed", httpStatus: attempt.status,
                    error: attempt.error)
            }
        }
        return .json(
            200,
            .object([
                ("event_id", .string(eventID)), ("forged", .bool(forged)),
                ("http_status", attempt.status.map { .int($0) } ?? .null),
                ("body", .string(attempt.body)), ("error", attempt.error.map { .string($0) } ?? .null),
            ]))
    }
}

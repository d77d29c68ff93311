import PaymentsCore

extension StripeEmulator {
    /// Routes `/control/stripe/...` (segments after `control/stripe`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        if request.method == "GET" {
            switch path.count {
            case 1 where path[0] == "events": return events(request)
            case 1 where path[0] == "intents": return intents()
            case 2 where path[0] == "intents": return intent(path[1])
            default: return .controlError(404, "unknown control endpoint \(request.path)")
            }
        }
        guard request.method == "POST", path.count == 1 else {
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
        guard let body = JSONValue.controlBody(request) else { return .controlError(400, "body must be a JSON object") }
        let response: SandboxResponse
        switch path[0] {
        case "pay": response = run(body, pay)
        case "close-review": response = run(body, closeReview)
        case "refund": response = run(body, refund)
        case "refund-update": response = run(body, refundUpdate)
        case "dispute": response = run(body, dispute)
        case "reinstate": response = run(body, reinstate)
        case "expire": response = run(body, expire)
        case "put-refund": return putRefund(body)
        case "redeliver": return redeliver(body)
        case "fail": return fail(body)
        case "latency": return latency(body)
        case "hold": return hold(body)
        case "release": return release(body)
        case "reset":
            state.withLock { $0 = StripeStore() }
            return .json(200, .object([("reset", .bool(true))]))
        default: return .controlError(404, "unknown control endpoint \(request.path)")
        }
        flushEvents()
        return response
    }

    /// Runs a control mutation under the lock; the answer is the affected object plus `sandbox_events` (ids emitted).
    private func run(
        _ body: JSONValue, _ operation: (inout StripeStore, JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue
    ) -> SandboxResponse {
        let deliver = body["deliver"]?.boolValue ?? true
        do throws(StripeError) {
            let value = try mutate { store throws(StripeError) in
                try store.answeringWithEvents { store throws(StripeError) in try operation(&store, body, deliver) }
            }
            return .json(200, value)
        } catch {
            return .json(error.status, .object([("error", .string(error.message))]))
        }
    }

    /// Required string `id`.
    private func requireID(_ body: JSONValue) throws(StripeError) -> String {
        guard let id = body["id"]?.stringValue, !id.isEmpty else { throw StripeError(message: "id is required") }
        return id
    }

    /// `pay {"id", "review", "deliver", "status"}`: the customer confirmed; a charge exists from now on.
    func pay(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        let id = try requireID(body)
        guard var intent = store.intents[id] else { throw StripeError.noSuch("payment_intent", id) }
        guard
            ["requires_payment_method", "requires_confirmation", "requires_action", "processing"].contains(
                intent.status)
        else {
            throw StripeError.unexpectedState(intent, action: "paid")
        }
        let target =
            body["status"]?.stringValue ?? (intent.captureMethod == "manual" ? "requires_capture" : "succeeded")
        guard ["requires_capture", "processing", "succeeded"].contains(target) else {
            throw StripeError(message: "status must be requires_capture|processing|succeeded")
        }
        let withReview = body["review"]?.boolValue ?? false
        let hasTarget = hasWebhookTarget
        let now = SocketIO.now()
        var charge: StripeCharge
        if let existing = intent.latestCharge.flatMap({ store.charges[$0] }) {
            charge = existing
        } else {
            charge = StripeCharge(
                id: RandomID.make("ch_"), paymentIntent: id, amount: intent.amount, currency: intent.currency,
                metadata: intent.metadata, created: now)
            intent.latestCharge = charge.id
            intent.paymentMethod = RandomID.make("pm_")
        }
        intent.status = target
        switch target {
        case "requires_capture": intent.amountCapturable = intent.amount
        case "succeeded":
            intent.amountReceived = intent.amount
            charge.captured = true
            charge.amountCaptured = intent.amount
        default: break
        }
        if withReview, intent.review == nil, target != "processing" {
            let review = StripeReview(id: RandomID.make("prv_"), charge: charge.id, paymentIntent: id, created: now)
            store.reviews[review.id] = review
            intent.review = review.id
            charge.review = review.id
            store.emit("review.opened", paymentIntent: id, object: review.json, deliver: deliver, hasTarget: hasTarget)
        }
        store.charges[charge.id] = charge
        store.intents[id] = intent
        let type: String
        switch target {
        case "requires_capture": type = "payment_intent.amount_capturable_updated"
        case "processing": type = "payment_intent.processing"
        default: type = "payment_intent.succeeded"
        }
        store.emit(type, paymentIntent: id, object: intent.json, deliver: deliver, hasTarget: hasTarget)
        return intent.json
    }

    /// `close-review {"id": pi or prv, "reason", "deliver"}`: closes the open review; the PaymentIntent is left as it is.
    func closeReview(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        let id = try requireID(body)
        let reviewID = id.hasPrefix("prv_") ? id : store.intents[id]?.review
        guard let reviewID, var review = store.reviews[reviewID] else { throw StripeError.noSuch("review", id) }
        guard review.open else { throw StripeError(message: "Review \(reviewID) is already closed.") }
        let reason = body["reason"]?.stringValue ?? "approved"
        review.open = false
        review.reason = reason
        review.closedReason = reason
        store.reviews[reviewID] = review
        store.emit(
            "review.closed", paymentIntent: review.paymentIntent, object: review.json, deliver: deliver,
            hasTarget: hasWebhookTarget)
        return review.json
    }

    /// `expire {"id"}`: the authorization lapsed; the PaymentIntent is canceled with reason `automatic`.
    func expire(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        let id = try requireID(body)
        guard var intent = store.intents[id] else { throw StripeError.noSuch("payment_intent", id) }
        guard intent.status != "succeeded", intent.status != "canceled" else {
            throw StripeError.unexpectedState(intent, action: "expired")
        }
        intent.status = "canceled"
        intent.cancellationReason = "automatic"
        intent.canceledAt = SocketIO.now()
        intent.amountCapturable = 0
        store.intents[id] = intent
        store.emit(
            "payment_intent.canceled", paymentIntent: id, object: intent.json, deliver: deliver,
            hasTarget: hasWebhookTarget)
        return intent.json
    }

    /// `GET /control/stripe/intents/{id}`: the PaymentIntent plus `capture_count` (captures performed) and
    /// `capture_attempts` (capture calls that reached the API, failed and in-flight ones included).
    private func intent(_ id: String) -> SandboxResponse {
        guard
            let (intent, attempts) = state.withLock({ store in
                store.intents[id].map { ($0, store.captureAttempts[id] ?? 0) }
            })
        else {
            return .controlError(404, "no such payment_intent: \(id)")
        }
        return .json(
            200,
            intent.json.setting("capture_count", .int(intent.captureCount)).setting(
                "capture_attempts", .int(attempts)))
    }

    /// `GET /control/stripe/intents`: every PaymentIntent, oldest first, each with `capture_count`.
    private func intents() -> SandboxResponse {
        let all = state.withLock { Array($0.intents.values) }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        return .json(
            200, .object([("data", .array(all.map { $0.json.setting("capture_count", .int($0.captureCount)) }))]))
    }
}

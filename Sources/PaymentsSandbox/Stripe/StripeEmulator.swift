import Logging
import PaymentsCore

/// Emulates the Stripe API on its own port: PaymentIntents with manual capture, charges, refunds, Radar reviews,
/// disputes, `Idempotency-Key` replay, and signed webhook delivery (research §1).
final class StripeEmulator: SandboxService {
    let secretKey: String
    let state = Locked(StripeStore())
    let dispatcher: WebhookDispatcher

    init(secretKey: String, webhookTarget: String?, webhookSecret: String, logger: Logger) {
        self.secretKey = secretKey
        dispatcher = WebhookDispatcher(target: webhookTarget, secret: webhookSecret, logger: logger)
    }

    var hasWebhookTarget: Bool { dispatcher.url != nil }

    /// Endpoints whose next calls can be made to fail through `/control/stripe/fail`.
    static let failableEndpoints: Set<String> = [
        "create", "retrieve", "capture", "cancel", "refunds", "create-refund", "charges", "reviews",
    ]

    /// Validation failures Stripe does not store under an idempotency key.
    private static let unstoredCodes: Set<String> = [
        "parameter_missing", "parameter_unknown", "parameter_invalid_integer", "parameter_invalid_empty",
        "amount_too_small",
        "amount_too_large", "parameter_invalid_string",
    ]

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        guard isAuthorized(request) else {
            return StripeError(
                status: 401,
                message: "Invalid API Key provided. You did not provide a valid secret key in the Authorization header."
            )
            .response
        }
        let segments = request.segments
        let endpoint = Self.endpointName(method: request.method, segments: segments)
        let intent = segments.count >= 3 && segments[1] == "payment_intents" ? segments[2] : nil
        guard let endpoint else { return perform(request, segments: segments) }
        let (latency, failure) = state.withLock { store in
            if endpoint == "capture", let intent { store.captureAttempts[intent, default: 0] += 1 }
            return (
                StripeStore.take(&store.latencies, endpoint, intent: intent),
                StripeStore.take(&store.failures, endpoint, intent: intent)
            )
        }
        if let latency { SocketIO.sleep(milliseconds: latency) }
        guard let failure else { return perform(request, segments: segments) }
        // After: the call is performed (and stored under its idempotency key as Stripe stores it), then the answer is
        // lost on the way back. Before: nothing is performed or stored.
        if failure.after { _ = perform(request, segments: segments) }
        if failure.status == 0 { return .drop }
        return StripeError(
            status: failure.status, type: "api_error", message: "An unknown error occurred (injected by the sandbox)."
        )
        .response
    }

    /// Performs an API call, replaying a stored answer for a repeated `Idempotency-Key`.
    private func perform(_ request: SandboxRequest, segments: [String]) -> SandboxResponse {
        guard request.method == "POST" else { return respond(request, segments: segments).response }
        let params = StripeParams(FormDecoding.parse(request.body))
        guard let key = request.header("idempotency-key") else {
            return respond(request, segments: segments, params: params).response
        }
        guard !key.isEmpty, key.utf8.count <= 255 else {
            return StripeError(message: "Idempotency-Key must be 1 to 255 characters.", param: "Idempotency-Key")
                .response
        }
        let fingerprint = request.path + "?" + params.fingerprint
        let lookup = state.withLock { store -> Result<SandboxResponse?, StripeError> in
            if let stored = store.idempotency[key] {
                guard stored.fingerprint == fingerprint else {
                    return .failure(
                        StripeError(
                            type: "idempotency_error",
                            message:
                                "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                                + "Try using a key other than '\(key)' if you meant to execute a different request."))
                }
                var replay = stored.response
                replay.headers.append(("Idempotent-Replayed", "true"))
                return .success(replay)
            }
            if store.inFlight.contains(key) {
                return .failure(
                    StripeError(
                        status: 409, type: "idempotency_error",
                        message:
                            "There is currently another in-progress request using this Idempotent Key: \(key). Please try again later."
                    ))
            }
            store.inFlight.insert(key)
            return .success(nil)
        }
        switch lookup {
        case let .failure(error): return error.response
        case let .success(.some(replay)): return replay
        case .success(.none): break
        }
        let outcome = respond(request, segments: segments, params: params)
        var response = outcome.response
        response.headers.append(("Idempotency-Key", key))
        state.withLock { store in
            store.inFlight.remove(key)
            if outcome.storable {
                store.idempotency[key] = StripeStore.IdempotentResult(fingerprint: fingerprint, response: response)
            }
        }
        return response
    }

    /// Runs the endpoint and flushes emitted events to the dispatcher.
    private func respond(_ request: SandboxRequest, segments: [String], params: StripeParams? = nil) -> (
        response: SandboxResponse, storable: Bool
    ) {
        let result: (SandboxResponse, Bool)
        do throws(StripeError) {
            let value = try route(request, segments: segments, params: params ?? StripeParams(request.query))
            result = (.json(200, value, headers: [("Request-Id", RandomID.make("req_", length: 14))]), true)
        } catch {
            result = (error.response, !(error.code.map { Self.unstoredCodes.contains($0) } ?? false))
        }
        flushEvents()
        return result
    }

    private func route(_ request: SandboxRequest, segments: [String], params: StripeParams) throws(StripeError)
        -> JSONValue
    {
        let path = Array(segments.dropFirst())
        switch (request.method, path.count, path.first ?? "") {
        case ("POST", 1, "payment_intents"): return try createIntent(params)
        case ("GET", 2, "payment_intents"): return try retrieveIntent(path[1], params)
        case ("POST", 3, "payment_intents") where path[2] == "capture": return try captureIntent(path[1], params)
        case ("POST", 3, "payment_intents") where path[2] == "cancel": return try cancelIntent(path[1], params)
        case ("GET", 2, "reviews"):
            return try lookup { store throws(StripeError) in
                guard let review = store.reviews[path[1]] else { throw StripeError.noSuch("review", path[1]) }
                return review.json
            }
        case ("GET", 2, "charges"):
            return try lookup { store throws(StripeError) in
                guard let charge = store.charges[path[1]] else { throw StripeError.noSuch("charge", path[1]) }
                return charge.json
            }
        case ("GET", 2, "refunds"):
            return try lookup { store throws(StripeError) in
                guard let refund = store.refunds[path[1]] else { throw StripeError.noSuch("refund", path[1]) }
                return refund.json
            }
        case ("GET", 2, "disputes"):
            return try lookup { store throws(StripeError) in
                guard let dispute = store.disputes[path[1]] else { throw StripeError.noSuch("dispute", path[1]) }
                return dispute.json
            }
        case ("GET", 1, "refunds"): return try listRefunds(params)
        case ("POST", 1, "refunds"): return try createRefund(params)
        default:
            throw StripeError(
                status: 404, message: "Unrecognized request URL (\(request.method): \(request.path)).")
        }
    }

    /// Reads state under the lock.
    func lookup(_ body: (StripeStore) throws(StripeError) -> JSONValue) throws(StripeError) -> JSONValue {
        let result = state.withLock { store -> Result<JSONValue, StripeError> in
            do throws(StripeError) { return .success(try body(store)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Mutates state under the lock.
    func mutate(_ body: (inout StripeStore) throws(StripeError) -> JSONValue) throws(StripeError) -> JSONValue {
        let result = state.withLock { store -> Result<JSONValue, StripeError> in
            do throws(StripeError) { return .success(try body(&store)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Hands queued events to the dispatcher (outside the lock), wiring their delivery reports back into the store;
    /// events of held PaymentIntents stay in the store until released.
    func flushEvents(timestamp: Int64? = nil, secret: String? = nil) {
        let events = state.withLock { $0.takeDeliverable() }
        for event in events {
            dispatcher.enqueue(key: event.paymentIntent, job: job(for: event, timestamp: timestamp, secret: secret))
        }
    }

    /// The delivery job of an event, reporting back into the store.
    func job(for event: StripeEventRecord, timestamp: Int64? = nil, secret: String? = nil) -> WebhookDispatcher.Job {
        WebhookDispatcher.Job(
            eventID: event.id, payload: event.payload, timestamp: timestamp, secret: secret,
            report: { [self] report in self.state.withLock { $0.recordDelivery(report) } })
    }

    private func isAuthorized(_ request: SandboxRequest) -> Bool {
        guard let header = request.header("authorization") else { return false }
        if header.hasPrefix("Bearer ") { return String(header.dropFirst(7)).trimmingSpaces() == secretKey }
        return false
    }

    /// The failure-injection name of an API call, if it has one.
    static func endpointName(method: String, segments: [String]) -> String? {
        guard segments.count >= 2, segments[0] == "v1" else { return nil }
        switch (method, segments[1], segments.count) {
        case ("POST", "payment_intents", 2): return "create"
        case ("GET", "payment_intents", 3): return "retrieve"
        case ("POST", "payment_intents", 4):
            return segments[3] == "capture" ? "capture" : (segments[3] == "cancel" ? "cancel" : nil)
        case ("GET", "refunds", _): return "refunds"
        case ("POST", "refunds", 2): return "create-refund"
        case ("GET", "charges", _): return "charges"
        case ("GET", "reviews", _): return "reviews"
        default: return nil
        }
    }
}

import PaymentsCore

/// The Stripe REST calls this backend makes, over the shared outbound service (timeouts, circuit breaker).
public struct StripeAPI: Sendable {
    /// A Stripe 4xx answer: `{"error":{"type","code","message"}}`.
    public struct Failure: APIErrorConvertible, Sendable {
        public let status: Int
        public let type: String?
        public let code: String?

        /// Another request with the same `Idempotency-Key` is still being processed by Stripe.
        public var isIdempotencyConflict: Bool { status == 409 || type == "idempotency_error" }

        /// Stripe refusing a call we made is an upstream failure to the client.
        public var apiError: APIError {
            APIError(.gatewayUnavailable, "stripe refused the request (\(code ?? type ?? String(status)))")
        }
    }

    let configuration: StripeConfiguration
    let service: OutboundService

    public init(configuration: StripeConfiguration, service: OutboundService) {
        self.configuration = configuration
        self.service = service
    }

    /// Creates the manual-capture PaymentIntent for a session; the idempotency key makes a retry return the same one.
    public func createPaymentIntent(session: PaymentSession) throws -> StripePaymentIntent {
        let form = [
            ("amount", String(session.amount.cents)), ("currency", "usd"), ("capture_method", "manual"),
            ("automatic_payment_methods[enabled]", "true"), ("metadata[uid]", session.uid),
            ("metadata[session_id]", session.publicID),
        ]
        return try paymentIntent(
            from: post("/v1/payment_intents", form: form, idempotencyKey: "pi-create-\(session.publicID)"))
    }

    public func retrievePaymentIntent(_ id: String) throws -> StripePaymentIntent {
        try paymentIntent(from: get("/v1/payment_intents/\(FormEncoding.escape(id))"))
    }

    /// Captures the full capturable amount; `attempt` makes the key unique after a lost answer (DESIGN §1.3).
    public func capture(_ id: String, attempt: Int) throws -> StripePaymentIntent {
        try paymentIntent(
            from: post(
                "/v1/payment_intents/\(FormEncoding.escape(id))/capture", form: [],
                idempotencyKey: "pi-capture-\(id)-\(attempt)"))
    }

    public func cancel(_ id: String) throws -> StripePaymentIntent {
        try paymentIntent(
            from: post(
                "/v1/payment_intents/\(FormEncoding.escape(id))/cancel", form: [], idempotencyKey: "pi-cancel-\(id)"))
    }

    public func review(_ id: String) throws -> StripeReview {
        guard let review = StripeReview(try get("/v1/reviews/\(FormEncoding.escape(id))")) else {
            throw APIError(.gatewayUnavailable, "stripe answered an unexpected review object")
        }
        return review
    }

    /// The refund as Stripe holds it now, or nil when Stripe does not know it (404).
    ///
    /// - Throws: `APIError` 502 when the answer is not a refund object or names another refund.
    public func refund(_ id: String) throws -> StripeRefund? {
        let json: JSONValue
        do {
            json = try get("/v1/refunds/\(FormEncoding.escape(id))")
        } catch let failure as Failure where failure.status == 404 {
            return nil
        }
        guard let refund = StripeRefund(json), refund.id == id else {
            throw APIError(.gatewayUnavailable, "stripe answered an unexpected refund object")
        }
        return refund
    }

    /// `POST /v1/refunds` for a PaymentIntent (`payments-sync refund`): the operator's reason goes to the refund's
    /// metadata, and `idempotencyKey` makes a retried command get the same refund back.
    /// See https://docs.stripe.com/api/refunds/create
    public func createRefund(paymentIntent: String, amount: Int64, reason: String, idempotencyKey: String) throws
        -> StripeRefund
    {
        let form = [
            ("payment_intent", paymentIntent), ("amount", String(amount)), ("reason", "requested_by_customer"),
            ("metadata[operator_reason]", String(reason.prefix(500))),
        ]
        guard let refund = StripeRefund(try post("/v1/refunds", form: form, idempotencyKey: idempotencyKey)),
            refund.paymentIntent == paymentIntent
        else { throw APIError(.gatewayUnavailable, "stripe answered an unexpected refund object") }
        return refund
    }

    /// Every refund of a charge (the `charge.refunded` payload carries no refund ids).
    public func refunds(charge: String) throws -> [StripeRefund] {
        let list = try get("/v1/refunds?charge=\(FormEncoding.escape(charge))&limit=100")
        return (list["data"]?.arrayValue ?? []).compactMap(StripeRefund.init)
    }

    // MARK: - transport

    private func paymentIntent(from json: JSONValue) throws -> StripePaymentIntent {
        guard let intent = StripePaymentIntent(json) else {
            throw APIError(.gatewayUnavailable, "stripe answered an unexpected PaymentIntent object")
        }
        return intent
    }

    private func headers() -> [(String, String)] {
        [
            ("Authorization", "Bearer \(configuration.secretKey.value)"),
            ("Stripe-Version", StripeConfiguration.apiVersion),
        ]
    }

    private func get(_ path: String) throws -> JSONValue {
        try decode(service.send(HTTPRequest(method: "GET", url: configuration.apiBase + path, headers: headers())))
    }

    private func post(_ path: String, form: [(String, String)], idempotencyKey: String) throws -> JSONValue {
        var headers = headers()
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        headers.append(("Idempotency-Key", idempotencyKey))
        let request = HTTPRequest(
            method: "POST", url: configuration.apiBase + path, headers: headers,
            body: Array(FormEncoding.encode(form).utf8))
        return try decode(service.send(request))
    }

    private func decode(_ response: HTTPResponse) throws -> JSONValue {
        guard (200..<300).contains(response.status) else {
            let error = response.json?["error"]
            throw Failure(status: response.status, type: error?["type"]?.stringValue, code: error?["code"]?.stringValue)
        }
        guard let json = response.json else { throw APIError(.gatewayUnavailable, "stripe answered invalid JSON") }
        return json
    }
}

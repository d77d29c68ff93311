import PaymentsCore

/// The PayPal REST calls this backend makes, over the shared outbound service (timeouts, circuit breaker), each
/// with the shared OAuth token; a 401 refreshes the token once and repeats the call.
public struct PayPalAPI: Sendable {
    /// A PayPal 4xx answer: `{name, message, debug_id, details[{issue, description}]}` (research §2.1).
    public struct Failure: APIErrorConvertible, Sendable {
        public let status: Int
        /// `UNPROCESSABLE_ENTITY`, `RESOURCE_NOT_FOUND`, `invalid_client`, …
        public let name: String?
        /// The first `details[].issue`: `ORDER_NOT_APPROVED`, `ORDER_ALREADY_CAPTURED`, `INSTRUMENT_DECLINED`, …
        public let issue: String?

        /// PayPal refusing a call we made is an upstream failure to the client unless a caller maps it.
        public var apiError: APIError {
            APIError(.gatewayUnavailable, "paypal refused the request (\(issue ?? name ?? String(status)))")
        }
    }

    let configuration: PayPalConfiguration
    let service: OutboundService
    let tokens: PayPalTokenProvider

    public init(configuration: PayPalConfiguration, service: OutboundService, tokens: PayPalTokenProvider) {
        self.configuration = configuration
        self.service = service
        self.tokens = tokens
    }

    /// Orders v2 create for a session: CAPTURE, USD, the amount as a decimal string, `custom_id` and
    /// `PayPal-Request-Id: create-<public_id>` so a retry returns the same order (DESIGN §5).
    public func createOrder(session: PaymentSession) throws -> (order: PayPalOrder, json: JSONValue) {
        let body = JSONValue.object([
            ("intent", .string("CAPTURE")),
            (
                "purchase_units",
                .array([
                    .object([
                        ("reference_id", .string(session.publicID)),
                        ("custom_id", .string(PayPalOrder.customID(publicID: session.publicID, uid: session.uid))),
                        (
                            "amount",
                            .object([
                                ("currency_code", .string("USD")), ("value", .string(session.amount.decimalString)),
                            ])
                        ),
                    ])
                ])
            ),
        ])
        let json = try send("POST", "/v2/checkout/orders", body: body, requestID: "create-\(session.publicID)")
        return (try order(from: json), json)
    }

    public func order(_ id: String) throws -> PayPalOrder {
        try order(from: send("GET", "/v2/checkout/orders/\(FormEncoding.escape(id))"))
    }

    /// Captures an APPROVED order under `PayPal-Request-Id: capture-<public_id>-<attempt>`. PayPal answers a request
    /// id it has seen with the latest status of that request, so a capture retried after a lost or 5xx answer takes
    /// the next `attempt` (DESIGN §1.3) and can never be answered with an earlier attempt's failure.
    /// See https://developer.paypal.com/reference/guidelines/idempotency/
    public func captureOrder(_ id: String, publicID: String, attempt: Int) throws -> PayPalOrder {
        try order(
            from: send(
                "POST", "/v2/checkout/orders/\(FormEncoding.escape(id))/capture", body: .object([]),
                requestID: "capture-\(publicID)-\(attempt)"))
    }

    public func capture(_ id: String) throws -> PayPalCapture {
        guard let capture = PayPalCapture(try send("GET", "/v2/payments/captures/\(FormEncoding.escape(id))")) else {
            throw APIError(.gatewayUnavailable, "paypal answered an unexpected capture object")
        }
        return capture
    }

    /// Payments v2 `GET /v2/payments/refunds/{id}`: a refund, or a reversal, as PayPal reports it now. PayPal's event
    /// list gives "Refund captured payment" as the method behind `PAYMENT.CAPTURE.REVERSED`, so a reversal is a refund
    /// object too. See https://developer.paypal.com/docs/api/payments/v2/#refunds_get and
    /// https://developer.paypal.com/api/rest/webhooks/event-names/#payments-v2
    public func refund(_ id: String) throws -> PayPalRefund {
        guard let refund = PayPalRefund(try send("GET", "/v2/payments/refunds/\(FormEncoding.escape(id))")) else {
            throw APIError(.gatewayUnavailable, "paypal answered an unexpected refund object")
        }
        return refund
    }

    /// Payments v2 `POST /v2/payments/captures/{id}/refund` (`payments-sync refund`): `amount` in USD and
    /// `PayPal-Request-Id` so a retried command gets the same refund back. The operator's reason stays in
    /// `operator_actions`: PayPal's only free-text field, `note_to_payer`, is shown to the payer.
    /// See https://developer.paypal.com/docs/api/payments/v2/#captures_refund
    public func refundCapture(_ captureID: String, amount: Money, requestID: String) throws -> PayPalRefund {
        let body = JSONValue.object([
            ("amount", .object([("value", .string(amount.decimalString)), ("currency_code", .string("USD"))]))
        ])
        let json = try send(
            "POST", "/v2/payments/captures/\(FormEncoding.escape(captureID))/refund", body: body, requestID: requestID)
        guard let refund = PayPalRefund(json), refund.captureID == nil || refund.captureID == captureID else {
            throw APIError(.gatewayUnavailable, "paypal answered an unexpected refund object")
        }
        return refund
    }

    // MARK: - transport

    private func order(from json: JSONValue) throws -> PayPalOrder {
        guard let order = PayPalOrder(json) else {
            throw APIError(.gatewayUnavailable, "paypal answered an unexpected order object")
        }
        return order
    }

    private func send(_ method: String, _ path: String, body: JSONValue? = nil, requestID: String? = nil) throws
        -> JSONValue
    {
        var token = try tokens.token()
        var response = try service.send(request(method, path, body: body, requestID: requestID, token: token))
        if response.status == 401 {
            token = try tokens.tokenAfterRejection(of: token)
            response = try service.send(request(method, path, body: body, requestID: requestID, token: token))
        }
        guard (200..<300).contains(response.status) else {
            let json = response.json
            throw Failure(
                status: response.status, name: json?["name"]?.stringValue ?? json?["error"]?.stringValue,
                issue: json?["details"]?.arrayValue?.first?["issue"]?.stringValue)
        }
        guard let json = response.json else { throw APIError(.gatewayUnavailable, "paypal answered invalid JSON") }
        return json
    }

    private func request(_ method: String, _ path: String, body: JSONValue?, requestID: String?, token: String)
        -> HTTPRequest
    {
        var headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
            headers.append(("Prefer", "return=representation"))
        }
        if let requestID { headers.append(("PayPal-Request-Id", requestID)) }
        return HTTPRequest(
            method: method, url: configuration.apiBase + path, headers: headers,
            body: body.map { Array($0.serialized().utf8) } ?? [])
    }
}

import PaymentsCore

/// Stripe's error envelope `{"error": {"type", "code", "message", "param"}}` (docs.stripe.com/api/errors).
struct StripeError: Error, Sendable {
    let status: Int
    let type: String
    let code: String?
    let message: String
    let param: String?

    init(
        status: Int = 400, type: String = "invalid_request_error", code: String? = nil, message: String,
        param: String? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    /// The HTTP answer.
    var response: SandboxResponse {
        var members: [(String, JSONValue)] = []
        if let code { members.append(("code", .string(code))) }
        if let code {
            members.append(("doc_url", .string("https://stripe.com/docs/error-codes/\(code.replacingDashes())")))
        }
        members.append(("message", .string(message)))
        if let param { members.append(("param", .string(param))) }
        members.append(("type", .string(type)))
        return .json(
            status, .object([("error", .object(members))]), headers: [("Request-Id", RandomID.make("req_", length: 14))]
        )
    }

    static func missing(_ param: String) -> StripeError {
        StripeError(code: "parameter_missing", message: "Missing required param: \(param).", param: param)
    }

    static func noSuch(_ kind: String, _ id: String, param: String = "id") -> StripeError {
        StripeError(status: 404, code: "resource_missing", message: "No such \(kind): '\(id)'", param: param)
    }

    static func unexpectedState(_ intent: StripePaymentIntent, action: String) -> StripeError {
        StripeError(
            code: "payment_intent_unexpected_state",
            message: "This PaymentIntent could not be \(action) because it has a status of \(intent.status).",
            param: nil)
    }
}

extension String {
    /// Error-code slugs in Stripe doc URLs use dashes.
    fileprivate func replacingDashes() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}

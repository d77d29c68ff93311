import PaymentsCore

/// A Stripe PaymentIntent as the sandbox keeps it (docs.stripe.com/api/payment_intents/object).
struct StripePaymentIntent: Sendable {
    let id: String
    let amount: Int64
    var amountCapturable: Int64 = 0
    var amountReceived: Int64 = 0
    let captureMethod: String
    let clientSecret: String
    let currency: String
    var latestCharge: String? = nil
    let metadata: [(String, String)]
    var review: String? = nil
    var status: String = "requires_payment_method"
    let created: Int64
    var canceledAt: Int64? = nil
    var cancellationReason: String? = nil
    let description: String?
    let automaticPaymentMethods: Bool
    var paymentMethod: String? = nil
    /// Captures performed through the API (tests assert the backend captured exactly once).
    var captureCount = 0

    /// States from which `cancel` is allowed.
    var isCancelable: Bool {
        ["requires_payment_method", "requires_capture", "requires_action", "requires_confirmation"].contains(status)
    }

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("payment_intent")), ("amount", .int(amount)),
            ("amount_capturable", .int(amountCapturable)), ("amount_received", .int(amountReceived)),
            (
                "automatic_payment_methods",
                automaticPaymentMethods
                    ? .object([("allow_redirects", .string("always")), ("enabled", .bool(true))]) : .null
            ),
            ("canceled_at", canceledAt.map { .int($0) } ?? .null),
            ("cancellation_reason", .optional(cancellationReason)),
            ("capture_method", .string(captureMethod)), ("client_secret", .string(clientSecret)),
            ("confirmation_method", .string("automatic")), ("created", .int(created)), ("currency", .string(currency)),
            ("description", .optional(description)), ("last_payment_error", .null),
            ("latest_charge", .optional(latestCharge)),
            ("livemode", .bool(false)), ("metadata", Self.metadataJSON(metadata)), ("next_action", .null),
            ("payment_method", .optional(paymentMethod)), ("payment_method_types", .array([.string("card")])),
            ("review", .optional(review)), ("status", .string(status)),
        ])
    }

    /// Metadata as a JSON object of strings.
    static func metadataJSON(_ metadata: [(String, String)]) -> JSONValue {
        .object(metadata.map { ($0.0, .string($0.1)) })
    }
}

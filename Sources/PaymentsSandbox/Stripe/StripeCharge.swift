import PaymentsCore

/// A Stripe Charge (docs.stripe.com/api/charges/object); `refunds` is not expanded, as since API 2022-11-15.
struct StripeCharge: Sendable {
    let id: String
    let paymentIntent: String
    let amount: Int64
    var amountCaptured: Int64 = 0
    var amountRefunded: Int64 = 0
    var captured = false
    let currency: String
    var review: String? = nil
    let metadata: [(String, String)]
    let created: Int64
    var disputed = false

    var refunded: Bool { amountRefunded >= amount && amount > 0 }

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("charge")), ("amount", .int(amount)),
            ("amount_captured", .int(amountCaptured)), ("amount_refunded", .int(amountRefunded)),
            ("captured", .bool(captured)), ("created", .int(created)), ("currency", .string(currency)),
            ("disputed", .bool(disputed)), ("livemode", .bool(false)),
            ("metadata", StripePaymentIntent.metadataJSON(metadata)),
            (
                "outcome",
                .object([
                    ("network_status", .string("approved_by_network")),
                    ("risk_level", .string(review == nil ? "normal" : "elevated")),
                    (
                        "seller_message",
                        .string(review == nil ? "Payment complete." : "Stripe placed this payment in review.")
                    ),
                    ("type", .string(review == nil ? "authorized" : "manual_review")),
                ])
            ),
            ("paid", .bool(true)), ("payment_intent", .string(paymentIntent)), ("refunded", .bool(refunded)),
            ("review", .optional(review)), ("status", .string("succeeded")),
        ])
    }
}

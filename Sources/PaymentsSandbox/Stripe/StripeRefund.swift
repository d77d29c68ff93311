import PaymentsCore

/// A Stripe Refund (docs.stripe.com/api/refunds/object).
struct StripeRefund: Sendable {
    let id: String
    let amount: Int64
    let charge: String
    let paymentIntent: String
    let currency: String
    var status: String
    let created: Int64

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("refund")), ("amount", .int(amount)), ("charge", .string(charge)),
            ("created", .int(created)), ("currency", .string(currency)), ("metadata", .object([])),
            ("payment_intent", .string(paymentIntent)), ("reason", .null), ("status", .string(status)),
        ])
    }
}

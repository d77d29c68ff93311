import PaymentsCore

/// A Dispute (docs.stripe.com/api/disputes/object).
struct StripeDispute: Sendable {
    let id: String
    let amount: Int64
    let charge: String
    let paymentIntent: String
    let currency: String
    var status = "needs_response"
    let created: Int64

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("dispute")), ("amount", .int(amount)), ("charge", .string(charge)),
            ("created", .int(created)), ("currency", .string(currency)), ("livemode", .bool(false)),
            ("payment_intent", .string(paymentIntent)), ("reason", .string("fraudulent")), ("status", .string(status)),
        ])
    }
}

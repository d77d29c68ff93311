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
    /// `duplicate`, `fraudulent` or `requested_by_customer`, when the creator gave one.
    var reason: String? = nil
    var metadata: [(String, String)] = []

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("refund")), ("amount", .int(amount)), ("charge", .string(charge)),
            ("created", .int(created)), ("currency", .string(currency)),
            ("metadata", .object(metadata.map { ($0.0, JSONValue.string($0.1)) })),
            ("payment_intent", .string(paymentIntent)), ("reason", reason.map(JSONValue.string) ?? .null),
            ("status", .string(status)),
        ])
    }
}

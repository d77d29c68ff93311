import PaymentsCore

/// A Radar Review (docs.stripe.com/api/radar/reviews/object): open until closed with a reason.
struct StripeReview: Sendable {
    let id: String
    let charge: String
    let paymentIntent: String
    var open = true
    /// `rule` while open; the closing reason once closed.
    var reason = "rule"
    var closedReason: String? = nil
    let created: Int64

    /// The API representation.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("object", .string("review")), ("charge", .string(charge)),
            ("closed_reason", .optional(closedReason)), ("created", .int(created)), ("livemode", .bool(false)),
            ("open", .bool(open)), ("opened_reason", .string("rule")), ("payment_intent", .string(paymentIntent)),
            ("reason", .string(reason)),
        ])
    }
}

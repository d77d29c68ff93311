import PaymentsCore

/// An emitted webhook event with its delivery history.
struct StripeEventRecord: Sendable {
    static let apiVersion = "2026-06-24.dahlia"

    let id: String
    let type: String
    /// The PaymentIntent the event belongs to (delivery order is kept per PaymentIntent).
    let paymentIntent: String
    let created: Int64
    /// The exact bytes delivered (and signed).
    let payload: [UInt8]
    /// `pending`, `delivering`, `delivered`, `failed`, `not_sent` (deliver:false) or `no_target`.
    var deliveryStatus: String
    var attempts = 0
    var lastHTTPStatus: Int? = nil
    var lastError: String? = nil

    init(type: String, paymentIntent: String, object: JSONValue, created: Int64, deliveryStatus: String) {
        id = RandomID.make("evt_")
        self.type = type
        self.paymentIntent = paymentIntent
        self.created = created
        self.deliveryStatus = deliveryStatus
        let envelope = JSONValue.object([
            ("id", .string(id)), ("object", .string("event")), ("api_version", .string(Self.apiVersion)),
            ("created", .int(created)), ("data", .object([("object", object)])), ("livemode", .bool(false)),
            ("pending_webhooks", .int(1)),
            ("request", .object([("id", .null), ("idempotency_key", .null)])), ("type", .string(type)),
        ])
        payload = Array(envelope.serialized().utf8)
    }

    /// The control-API view: delivery facts plus the event itself.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("type", .string(type)), ("payment_intent", .string(paymentIntent)),
            ("created", .int(created)), ("delivery_status", .string(deliveryStatus)), ("attempts", .int(attempts)),
            ("last_http_status", lastHTTPStatus.map { .int($0) } ?? .null), ("last_error", .optional(lastError)),
            ("event", (try? JSONValue.parse(payload)) ?? .null),
        ])
    }
}

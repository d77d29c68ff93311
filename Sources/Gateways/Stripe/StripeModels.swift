import PaymentsCore

/// The PaymentIntent fields this backend reads.
/// See https://docs.stripe.com/api/payment_intents/object
public struct StripePaymentIntent: Sendable, Equatable {
    public var id: String
    /// `requires_payment_method`, `requires_capture`, `processing`, `succeeded`, `canceled`, …
    public var status: String
    public var amount: Int64
    public var amountReceived: Int64
    public var currency: String
    public var metadataUID: String?
    public var metadataSessionID: String?
    /// `prv_…` while Radar holds the payment for manual review.
    public var review: String?
    public var clientSecret: String?

    public init?(_ json: JSONValue) {
        guard json["object"]?.stringValue == "payment_intent", let id = json["id"]?.stringValue,
            let status = json["status"]?.stringValue
        else { return nil }
        self.id = id
        self.status = status
        amount = json["amount"]?.int64Value ?? 0
        amountReceived = json["amount_received"]?.int64Value ?? 0
        currency = json["currency"]?.stringValue ?? ""
        metadataUID = json["metadata"]?["uid"]?.stringValue
        metadataSessionID = json["metadata"]?["session_id"]?.stringValue
        review = StripePaymentIntent.expandableID(json["review"])
        clientSecret = json["client_secret"]?.stringValue
    }

    /// An expandable field is either an id string or the object with an `id`.
    static func expandableID(_ value: JSONValue?) -> String? {
        value?.stringValue ?? value?["id"]?.stringValue
    }
}

/// A Refund. See https://docs.stripe.com/api/refunds/object
public struct StripeRefund: Sendable, Equatable {
    public var id: String
    /// Positive cents when usable; an amount that is missing, not an integer or beyond Int64 reads as 0, and the
    /// booking code hands any amount below 1 to an operator instead of negating it.
    public var amount: Int64
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled`.
    public var status: String
    public var currency: String
    public var paymentIntent: String?
    public var charge: String?

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, id.hasPrefix("re_") || id.hasPrefix("pyr_"),
            let status = json["status"]?.stringValue
        else { return nil }
        self.id = id
        amount = json["amount"]?.int64Value ?? 0
        self.status = status
        currency = json["currency"]?.stringValue ?? ""
        paymentIntent = StripePaymentIntent.expandableID(json["payment_intent"])
        charge = StripePaymentIntent.expandableID(json["charge"])
    }
}

/// A Radar review. See https://docs.stripe.com/api/radar/reviews/object
public struct StripeReview: Sendable, Equatable {
    public var id: String
    public var open: Bool
    /// `approved`, `refunded`, `refunded_as_fraud`, `disputed`, … once closed.
    public var reason: String?
    public var paymentIntent: String?

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, let open = json["open"]?.boolValue else { return nil }
        self.id = id
        self.open = open
        reason = json["reason"]?.stringValue
        paymentIntent = StripePaymentIntent.expandableID(json["payment_intent"])
    }
}

/// A Dispute. See https://docs.stripe.com/api/disputes/object
public struct StripeDispute: Sendable, Equatable {
    public var id: String
    /// Positive cents when usable; unreadable reads as 0 and is handed to an operator (see `StripeRefund.amount`).
    public var amount: Int64
    public var currency: String
    public var paymentIntent: String?

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.id = id
        amount = json["amount"]?.int64Value ?? 0
        currency = json["currency"]?.stringValue ?? ""
        paymentIntent = StripePaymentIntent.expandableID(json["payment_intent"])
    }
}

/// An Event envelope. See https://docs.stripe.com/api/events/object
public struct StripeEvent: Sendable {
    public var id: String
    public var type: String
    public var object: JSONValue

    public init?(_ json: JSONValue) {
        guard json["object"]?.stringValue == "event", let id = json["id"]?.stringValue, !id.isEmpty,
            let type = json["type"]?.stringValue, let object = json["data"]?["object"]
        else { return nil }
        self.id = id
        self.type = type
        self.object = object
    }

    /// Event types whose `data.object` is a PaymentIntent, read through `StripePaymentIntent` alone.
    static let paymentIntentTypes: Set<String> = [
        "payment_intent.amount_capturable_updated", "payment_intent.succeeded", "payment_intent.canceled",
    ]

    /// The members of a PaymentIntent event that `StripeEvent` and `StripePaymentIntent` read.
    static let paymentIntentFields = JSONSelection.members([
        "object": .whole, "id": .whole, "type": .whole,
        "data": .members([
            "object": .members([
                "object": .whole, "id": .whole, "status": .whole, "amount": .whole, "amount_received": .whole,
                "currency": .whole, "metadata": .members(["uid": .whole, "session_id": .whole]), "review": .whole,
                "client_secret": .whole,
            ])
        ]),
    ])

    /// Reads a webhook body: PaymentIntent events (most deliveries) build only the fields read, any other type is
    /// parsed whole. Nil when the body is not JSON or not an event.
    static func parse(_ body: [UInt8]) -> StripeEvent? {
        guard let json = try? JSONValue.parse(body, keeping: paymentIntentFields), let event = StripeEvent(json)
        else { return nil }
        if paymentIntentTypes.contains(event.type) { return event }
        guard let full = try? JSONValue.parse(body) else { return nil }
        return StripeEvent(full)
    }
}

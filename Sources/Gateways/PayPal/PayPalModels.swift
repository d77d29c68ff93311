import PaymentsCore

/// A PayPal money object: currency and the decimal string, parsed to cents only when exact.
/// See https://developer.paypal.com/docs/api/orders/v2/#definition-money
public struct PayPalMoney: Sendable, Equatable {
    public var currency: String
    public var value: String

    init?(_ json: JSONValue?) {
        guard let currency = json?["currency_code"]?.stringValue, let value = json?["value"]?.stringValue else {
            return nil
        }
        self.currency = currency
        self.value = value
    }

    /// The amount in cents when it is a plain decimal with at most two significant decimals.
    public var cents: Int64? { Money.exactCents(fromDecimal: value)?.cents }
}

/// The `href` of a HATEOAS link by relation; ids are taken from its last path segment.
enum PayPalLinks {
    static func href(_ json: JSONValue, rel: String) -> String? {
        (json["links"]?.arrayValue ?? []).first { $0["rel"]?.stringValue == rel }?["href"]?.stringValue
    }

    static func lastSegment(_ href: String?) -> String? {
        guard let href, let last = href.split(separator: "/").last, !last.isEmpty else { return nil }
        let id = last.split(separator: "?").first.map(String.init) ?? ""
        return id.isEmpty ? nil : id
    }
}

/// A capture (Payments v2). See https://developer.paypal.com/docs/api/payments/v2/#captures_get
public struct PayPalCapture: Sendable, Equatable {
    public var id: String
    /// `COMPLETED`, `DECLINED`, `PARTIALLY_REFUNDED`, `PENDING`, `REFUNDED`, `FAILED`.
    public var status: String
    public var amount: PayPalMoney?
    public var customID: String?
    /// The order it belongs to, from the `up` link, when present.
    public var orderID: String?

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty, let status = json["status"]?.stringValue else {
            return nil
        }
        self.id = id
        self.status = status
        amount = PayPalMoney(json["amount"])
        customID = json["custom_id"]?.stringValue
        orderID = PayPalLinks.lastSegment(PayPalLinks.href(json, rel: "up"))
    }
}

/// A refund or a reversal (the resource of `PAYMENT.CAPTURE.REFUNDED` / `.REVERSED`), research §2.2.
/// See https://developer.paypal.com/docs/api/payments/v2/#refunds_get
public struct PayPalRefund: Sendable, Equatable {
    public var id: String
    /// `COMPLETED`, `PENDING`, `FAILED`, `CANCELLED`.
    public var status: String
    public var amount: PayPalMoney?
    /// The refunded capture, from the `up` link.
    public var captureID: String?

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty, let status = json["status"]?.stringValue else {
            return nil
        }
        self.id = id
        self.status = status
        amount = PayPalMoney(json["amount"])
        captureID = PayPalLinks.lastSegment(PayPalLinks.href(json, rel: "up"))
    }
}

/// An order (Orders v2). See https://developer.paypal.com/docs/api/orders/v2/#orders_get
public struct PayPalOrder: Sendable {
    public var id: String
    /// `CREATED`, `SAVED`, `APPROVED`, `VOIDED`, `COMPLETED`, `PAYER_ACTION_REQUIRED`.
    public var status: String
    public var links: JSONValue
    /// `purchase_units[0].custom_id`: `<public_id>[:<uid>]`.
    public var customID: String?
    /// Every capture of every purchase unit; a COMPLETED order may still hold a pending or declined one.
    public var captures: [PayPalCapture]

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty, let status = json["status"]?.stringValue else {
            return nil
        }
        self.id = id
        self.status = status
        links = json["links"] ?? .array([])
        let units = json["purchase_units"]?.arrayValue ?? []
        customID = units.first?["custom_id"]?.stringValue
        captures = units.flatMap { ($0.at("payments.captures")?.arrayValue ?? []).compactMap(PayPalCapture.init) }
    }

    /// The `public_id` part of a `custom_id`.
    public static func publicID(fromCustomID customID: String?) -> String? {
        guard let customID,
            let first = customID.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first,
            !first.isEmpty
        else { return nil }
        return String(first)
    }

    /// The uid part of a `custom_id`, when it carries one.
    public static func uid(fromCustomID customID: String?) -> String? {
        guard let customID else { return nil }
        let parts = customID.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// `<public_id>:<uid>` when it fits PayPal's 127 characters, else `<public_id>` (DESIGN §5).
    public static func customID(publicID: String, uid: String) -> String {
        let full = "\(publicID):\(uid)"
        return full.count <= 127 ? full : publicID
    }
}

/// A webhook event envelope. See https://developer.paypal.com/api/rest/webhooks/event-names/
public struct PayPalEvent: Sendable {
    /// `WH-…`.
    public var id: String
    public var eventType: String
    public var resource: JSONValue

    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty, id.count <= 255,
            let type = json["event_type"]?.stringValue,
            let resource = json["resource"]
        else { return nil }
        self.id = id
        eventType = type
        self.resource = resource
    }
}

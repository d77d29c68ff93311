import Foundation
import PaymentsCore

/// An emitted PayPal webhook event with its delivery history.
struct PayPalEventRecord: Sendable {
    let id: String
    let type: String
    /// The order the event belongs to (delivery order is kept per order).
    let orderID: String
    /// The exact bytes delivered (and signed).
    let payload: [UInt8]
    /// `pending`, `delivered`, `retrying`, `failed`, `not_sent` (deliver:false) or `no_target`.
    var deliveryStatus: String
    var attempts = 0
    var lastHTTPStatus: Int? = nil
    var lastError: String? = nil

    init(
        type: String, orderID: String, resourceType: String, resource: JSONValue, summary: String, base: String,
        deliveryStatus: String
    ) {
        id = "WH-" + PayPalStore.makeID(17) + "-" + PayPalStore.makeID(17)
        self.type = type
        self.orderID = orderID
        self.deliveryStatus = deliveryStatus
        let envelope = JSONValue.object([
            ("id", .string(id)), ("event_version", .string("1.0")), ("create_time", .string(PayPalStore.timestamp())),
            ("resource_type", .string(resourceType)), ("resource_version", .string("2.0")),
            ("event_type", .string(type)),
            ("summary", .string(summary)), ("resource", resource),
            (
                "links",
                .array([
                    PayPalSandboxOrder.link("\(base)/v1/notifications/webhooks-events/\(id)", "self", "GET"),
                    PayPalSandboxOrder.link("\(base)/v1/notifications/webhooks-events/\(id)/resend", "resend", "POST"),
                ])
            ),
        ])
        payload = Array(envelope.serialized().utf8)
    }

    /// The control-API view: delivery facts plus the event itself.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("event_type", .string(type)), ("order_id", .string(orderID)),
            ("delivery_status", .string(deliveryStatus)), ("attempts", .int(attempts)),
            ("last_http_status", lastHTTPStatus.map { .int($0) } ?? .null),
            ("last_error", lastError.map { .string($0) } ?? .null),
            ("event", (try? JSONValue.parse(payload)) ?? .null),
        ])
    }
}

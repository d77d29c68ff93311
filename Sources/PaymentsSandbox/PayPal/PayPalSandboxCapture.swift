import PaymentsCore

/// A capture (Payments v2) as the sandbox keeps it.
struct PayPalSandboxCapture: Sendable {
    let id: String
    let orderID: String
    /// `COMPLETED`, `PENDING`, `DECLINED`, `FAILED`, `PARTIALLY_REFUNDED`, `REFUNDED`.
    var status: String
    let currency: String
    let cents: Int64
    let customID: String?
    let created: String
    var updated: String
    /// Refunded and reversed so far.
    var takenBackCents: Int64 = 0

    func json(base: String) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(id)), ("status", .string(status))]
        if status == "PENDING" { members.append(("status_details", .object([("reason", .string("PENDING_REVIEW"))]))) }
        members.append(
            (
                "amount",
                .object([("currency_code", .string(currency)), ("value", .string(Money(cents: cents).decimalString))])
            ))
        members.append(("final_capture", .bool(true)))
        if let customID { members.append(("custom_id", .string(customID))) }
        members.append(("create_time", .string(created)))
        members.append(("update_time", .string(updated)))
        members.append(
            (
                "links",
                .array([
                    PayPalSandboxOrder.link("\(base)/v2/payments/captures/\(id)", "self", "GET"),
                    PayPalSandboxOrder.link("\(base)/v2/payments/captures/\(id)/refund", "refund", "POST"),
                    PayPalSandboxOrder.link("\(base)/v2/checkout/orders/\(orderID)", "up", "GET"),
                ])
            ))
        return .object(members)
    }
}

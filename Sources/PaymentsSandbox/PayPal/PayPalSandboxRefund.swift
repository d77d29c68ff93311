import PaymentsCore

/// A refund, or a reversal (chargeback), of a capture; both have the refund shape in webhooks (research §2.2).
struct PayPalSandboxRefund: Sendable {
    let id: String
    let captureID: String
    let cents: Int64
    let currency: String
    let customID: String?
    var status: String
    let isReversal: Bool
    let created: String

    func json(base: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            (
                "amount",
                .object([("currency_code", .string(currency)), ("value", .string(Money(cents: cents).decimalString))])
            ),
            ("status", .string(status)),
        ]
        if let customID { members.append(("custom_id", .string(customID))) }
        members.append(("create_time", .string(created)))
        members.append(("update_time", .string(created)))
        members.append(
            (
                "links",
                .array([
                    PayPalSandboxOrder.link("\(base)/v2/payments/refunds/\(id)", "self", "GET"),
                    PayPalSandboxOrder.link("\(base)/v2/payments/captures/\(captureID)", "up", "GET"),
                ])
            ))
        return .object(members)
    }
}

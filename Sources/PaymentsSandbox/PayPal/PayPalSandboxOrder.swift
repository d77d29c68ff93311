import PaymentsCore

/// An Orders v2 order as the sandbox keeps it.
struct PayPalSandboxOrder: Sendable {
    let id: String
    /// `CREATED`, `APPROVED`, `COMPLETED`, `VOIDED`.
    var status: String
    let intent: String
    let referenceID: String?
    let customID: String?
    let currency: String
    let value: String
    let created: String
    /// How the next capture behaves: `COMPLETED` (default), `PENDING`, `DECLINED`, `FAILED`, `INSTRUMENT_DECLINED`,
    /// `5XX_THEN_OK` (one 500 before capturing), `5XX_AFTER_CAPTURE` (captures, then answers 500 once) or
    /// `DROP_AFTER_CAPTURE` (captures, then closes the connection unanswered, once: the answer is lost).
    var captureMode = "COMPLETED"
    /// Whether events this order emits through the API (capture) are delivered.
    var deliver = true
    /// Past its approval window: capture answers `ORDER_EXPIRED`, GET answers 404.
    var expired = false
    var captureID: String?

    static let captureModes: Set<String> = [
        "COMPLETED", "PENDING", "DECLINED", "FAILED", "INSTRUMENT_DECLINED", "5XX_THEN_OK", "5XX_AFTER_CAPTURE",
        "DROP_AFTER_CAPTURE",
    ]

    func links(base: String) -> JSONValue {
        var links: [JSONValue] = [Self.link("\(base)/v2/checkout/orders/\(id)", "self", "GET")]
        if status == "CREATED" {
            links.append(Self.link("https://www.sandbox.paypal.com/checkoutnow?token=\(id)", "approve", "GET"))
        }
        if status == "CREATED" || status == "APPROVED" {
            links.append(Self.link("\(base)/v2/checkout/orders/\(id)", "update", "PATCH"))
            links.append(Self.link("\(base)/v2/checkout/orders/\(id)/capture", "capture", "POST"))
        }
        return .array(links)
    }

    /// The full representation (`Prefer: return=representation`), with the capture when there is one.
    func json(base: String, capture: PayPalSandboxCapture?) -> JSONValue {
        var unit: [(String, JSONValue)] = []
        if let referenceID { unit.append(("reference_id", .string(referenceID))) }
        unit.append(("amount", .object([("currency_code", .string(currency)), ("value", .string(value))])))
        if let customID { unit.append(("custom_id", .string(customID))) }
        if let capture { unit.append(("payments", .object([("captures", .array([capture.json(base: base)]))]))) }
        return .object([
            ("id", .string(id)), ("intent", .string(intent)), ("status", .string(status)),
            ("purchase_units", .array([.object(unit)])), ("create_time", .string(created)),
            ("links", links(base: base)),
        ])
    }

    /// `Prefer: return=minimal`.
    func minimalJSON(base: String) -> JSONValue {
        .object([("id", .string(id)), ("status", .string(status)), ("links", links(base: base))])
    }

    static func link(_ href: String, _ rel: String, _ method: String) -> JSONValue {
        .object([("href", .string(href)), ("rel", .string(rel)), ("method", .string(method))])
    }
}

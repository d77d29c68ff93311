import PaymentsCore

/// One webhook the emulated Cryptomus sent (or held back), with its delivery history.
struct CryptomusEventRecord: Sendable {
    let id: String
    let uuid: String
    let status: String
    /// The exact bytes POSTed (signed fields plus `sign`).
    let body: [UInt8]
    /// `pending`, `delivered`, `retrying`, `failed`, `not_sent` (deliver:false) or `no_target`.
    var deliveryStatus: String
    var attempts = 0
    var lastHTTPStatus: Int?
    var lastError: String?
    /// Whether the signature was deliberately wrong (redeliver with a forged key or sign).
    let forged: Bool

    init(uuid: String, status: String, body: [UInt8], deliveryStatus: String, forged: Bool) {
        id = RandomID.make("cev_", length: 16)
        self.uuid = uuid
        self.status = status
        self.body = body
        self.deliveryStatus = deliveryStatus
        self.forged = forged
    }

    /// The control-API view.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("uuid", .string(uuid)), ("status", .string(status)),
            ("event_id", .string("\(uuid):\(status)")),
            ("delivery_status", .string(deliveryStatus)), ("attempts", .int(attempts)),
            ("last_http_status", lastHTTPStatus.map { .int($0) } ?? .null), ("last_error", .optional(lastError)),
            ("forged", .bool(forged)), ("body", .string(String(decoding: body, as: UTF8.self))),
            ("event", (try? JSONValue.parse(body)) ?? .null),
        ])
    }
}

import PaymentsCore
import Signing

/// One operator-configured gateway as the sandbox plays it: the other side of the responder's `GW_<ID>_*` settings
/// (DESIGN §2), read from the same env file, so its deliveries put each field where the responder looks for it and
/// sign them the way the responder checks.
struct CustomSandboxGateway: Sendable {
    let id: String
    /// `hex`, `sha256` or `standard`.
    let scheme: String
    /// The HMAC key: the first secret's bytes, or under `standard` its base64 part decoded.
    let key: [UInt8]
    /// The signature header of `hex` and `sha256`.
    let header: String
    /// Where the event id goes in the body; nil under `standard` without `GW_<ID>_EVENT_ID` (the `webhook-id` header).
    let eventID: JSONPointer?
    let sessionRef: JSONPointer
    let paymentID: JSONPointer
    let amount: JSONPointer
    let currency: JSONPointer
    let status: JSONPointer
    let refundID: JSONPointer
    let refundAmount: JSONPointer
    /// Amounts as `"10.00"` strings (`decimal`) instead of integer cents.
    let decimalAmounts: Bool
    /// The first status of each of the paid, failed and refund lists.
    let paidStatus: String
    let failedStatus: String
    let refundStatus: String

    /// The gateways the sandbox emulates: those listed in `CUSTOM_GATEWAYS` and any other with a `GW_<ID>_SECRET`, so
    /// an example gateway can be tried before the responder enables it.
    static func all(_ reader: ConfigReader) throws(ConfigurationError) -> [CustomSandboxGateway] {
        var ids = reader.list("CUSTOM_GATEWAYS")
        for key in reader.values.keys.sorted() where key.hasPrefix("GW_") && key.hasSuffix("_SECRET") {
            let id = String(key.dropFirst(3).dropLast(7)).lowercased()
            if !id.isEmpty, !ids.contains(id) { ids.append(id) }
        }
        var gateways: [CustomSandboxGateway] = []
        for id in ids { gateways.append(try CustomSandboxGateway(id: id, reader)) }
        return gateways
    }

    /// Reads `GW_<ID>_*` with the responder's defaults; a missing secret falls back to `<id>_sandbox_secret`
    /// (`whsec_` + its base64 under `standard`).
    init(id: String, _ reader: ConfigReader) throws(ConfigurationError) {
        let name = { (suffix: String) in "GW_" + id.uppercased() + "_" + suffix }
        self.id = id
        scheme = reader.string(name("SCHEME"), default: "sha256")
        guard ["hex", "sha256", "standard"].contains(scheme) else {
            throw ConfigurationError(variable: name("SCHEME"), problem: "must be hex, sha256 or standard")
        }
        let secret = reader.list(name("SECRET")).first ?? "\(id)_sandbox_secret"
        guard let key = CustomSandboxGateway.key(scheme: scheme, secret: secret) else {
            throw ConfigurationError(variable: name("SECRET"), problem: "must be whsec_<base64> under standard")
        }
        self.key = key
        header = reader.string(name("SIGNATURE_HEADER"), default: "X-Gateway-Signature")
        let pointer = { (suffix: String, fallback: String) throws(ConfigurationError) -> JSONPointer in
            try reader.pointer(name(suffix), default: fallback)
        }
        eventID =
            scheme == "standard" && reader.optional(name("EVENT_ID")) == nil ? nil : try pointer("EVENT_ID", "/id")
        sessionRef = try pointer("SESSION_REF", "/data/reference")
        paymentID = try pointer("PAYMENT_ID", "/data/id")
        amount = try pointer("AMOUNT", "/data/amount")
        currency = try pointer("CURRENCY", "/data/currency")
        status = try pointer("STATUS", "/data/status")
        refundID = try pointer("REFUND_ID", "/data/refund_id")
        refundAmount = try pointer("REFUND_AMOUNT", "/data/refund_amount")
        decimalAmounts = reader.string(name("AMOUNT_FORMAT"), default: "cents") == "decimal"
        paidStatus = reader.list(name("PAID_STATUSES")).first ?? "paid"
        failedStatus = reader.list(name("FAILED_STATUSES")).first ?? "failed"
        refundStatus = reader.list(name("REFUND_STATUSES")).first ?? "refunded"
    }

    /// The HMAC key of `secret`: its bytes, or under `standard` the base64 after `whsec_` decoded (nil if it is not).
    static func key(scheme: String, secret: String) -> [UInt8]? {
        guard scheme == "standard" else { return Array(secret.utf8) }
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let decoded = Base64.decode(encoded), !decoded.isEmpty else { return nil }
        return decoded
    }

    /// An amount as this gateway writes it.
    func amountValue(_ cents: Int64) -> JSONValue {
        decimalAmounts ? .string(Money(cents: cents).decimalString) : .int(cents)
    }

    /// The signature headers of `body` under `key` (the gateway's own unless a forgery passes another).
    func signatureHeaders(body: [UInt8], webhookID: String, timestamp: Int64, key: [UInt8]? = nil) -> [(String, String)]
    {
        let key = key ?? self.key
        switch scheme {
        case "hex": return [(header, Hex.encode(HMAC.sha256(key: key, message: body)))]
        case "sha256": return [(header, "sha256=" + Hex.encode(HMAC.sha256(key: key, message: body)))]
        default:
            let signed = HMAC.sha256(key: key, message: Array("\(webhookID).\(timestamp).".utf8) + body)
            return [
                ("webhook-id", webhookID), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", "v1," + Base64.encode(signed)),
            ]
        }
    }
}

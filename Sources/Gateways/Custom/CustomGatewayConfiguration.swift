import PaymentsCore

/// One operator-configured gateway (DESIGN §2 "Operator-configured gateways"): its `GW_<ID>_*` settings, read and
/// checked once at start-up.
public struct CustomGatewayConfiguration: Sendable {
    /// Where a notification's event id (the `webhook_events` key) comes from.
    public enum EventIDSource: Sendable, Equatable {
        /// A field of the body.
        case pointer(JSONPointer)
        /// The signed `webhook-id` header (the default under `standard`).
        case webhookIDHeader
    }

    /// The gateway id: route prefix, ledger `gateway` and `payment_id` prefix.
    public let id: String
    public let signature: CustomWebhookSignature
    public let eventID: EventIDSource
    /// The field holding the session's `public_id`.
    public let sessionRef: JSONPointer
    public let paymentID: JSONPointer
    public let amount: JSONPointer
    public let amountFormat: CustomAmountFormat
    public let currency: JSONPointer
    public let status: JSONPointer
    public let statuses: CustomStatusTable
    public let refundID: JSONPointer
    /// Read in `amountFormat` too.
    public let refundAmount: JSONPointer
    /// Webhook source addresses; empty accepts any.
    public let allowedIPs: SourceAllowList
    /// The hosted-checkout link; nil leaves `url` out of the create answer.
    public let checkoutURL: CustomCheckoutURL?

    /// Every `GW_<ID>_*` suffix a gateway reads (DESIGN §2).
    public static let suffixes = [
        "SCHEME", "SECRET", "SIGNATURE_HEADER", "TOLERANCE_SECONDS", "EVENT_ID", "SESSION_REF", "PAYMENT_ID", "AMOUNT",
        "AMOUNT_FORMAT", "CURRENCY", "STATUS", "PAID_STATUSES", "FAILED_STATUSES", "REFUND_STATUSES", "REFUND_ID",
        "REFUND_AMOUNT", "ALLOWED_IPS", "CHECKOUT_URL",
    ]

    /// The name of one of the gateway's variables: `variable("acme", "SECRET")` is `GW_ACME_SECRET`.
    public static func variable(_ id: String, _ suffix: String) -> String {
        "GW_" + id.uppercased() + "_" + suffix
    }

    /// Reads the `GW_<ID>_*` variables of `id` (already checked by `CustomGatewaysConfiguration`).
    ///
    /// `GW_<ID>_SCHEME` (`hex`, `sha256` or `standard`) and `GW_<ID>_SECRET` (comma-separated; `whsec_<base64>` under
    /// `standard`) are required; `GW_<ID>_SIGNATURE_HEADER` (`X-Gateway-Signature`), `GW_<ID>_TOLERANCE_SECONDS`
    /// (300, 1...86400), the pointers `GW_<ID>_EVENT_ID` (`/id`; the `webhook-id` header under `standard`),
    /// `_SESSION_REF` (`/data/reference`), `_PAYMENT_ID` (`/data/id`), `_AMOUNT` (`/data/amount`), `_CURRENCY`
    /// (`/data/currency`), `_STATUS` (`/data/status`), `_REFUND_ID` (`/data/refund_id`), `_REFUND_AMOUNT`
    /// (`/data/refund_amount`), `GW_<ID>_AMOUNT_FORMAT` (`cents` or `decimal`; `cents`), the status lists
    /// `_PAID_STATUSES` (`paid`), `_FAILED_STATUSES` (`failed,expired,canceled`), `_REFUND_STATUSES` (`refunded`),
    /// `GW_<ID>_ALLOWED_IPS` (empty = any) and `GW_<ID>_CHECKOUT_URL` (optional template) have defaults.
    ///
    /// - Throws: `ConfigurationError` naming the first missing or malformed variable.
    public init(id: String, _ config: ConfigReader) throws(ConfigurationError) {
        let name = { (suffix: String) in CustomGatewayConfiguration.variable(id, suffix) }
        let schemeText = try config.string(name("SCHEME"))
        guard let scheme = CustomSignatureScheme(rawValue: schemeText) else {
            throw ConfigurationError(
                variable: name("SCHEME"), problem: "must be hex, sha256 or standard, got '\(schemeText)'")
        }
        let header = config.string(name("SIGNATURE_HEADER"), default: "X-Gateway-Signature")
        guard header.utf8.allSatisfy(CustomGatewayConfiguration.isTokenByte) else {
            throw ConfigurationError(variable: name("SIGNATURE_HEADER"), problem: "must be an HTTP header name")
        }
        let tolerance = try config.int(name("TOLERANCE_SECONDS"), default: 300, range: 1...86_400)
        let secrets = config.list(name("SECRET")).map(Secret.init)
        guard !secrets.isEmpty else {
            throw ConfigurationError(variable: name("SECRET"), problem: "is required but missing")
        }
        do {
            signature = try CustomWebhookSignature(
                scheme: scheme, secrets: secrets, header: header, toleranceSeconds: Int64(tolerance))
        } catch {
            throw ConfigurationError(variable: name("SECRET"), problem: error.problem)
        }
        self.id = id
        if scheme == .standard, config.optional(name("EVENT_ID")) == nil {
            eventID = .webhookIDHeader
        } else {
            eventID = .pointer(try config.pointer(name("EVENT_ID"), default: "/id"))
        }
        sessionRef = try config.pointer(name("SESSION_REF"), default: "/data/reference")
        paymentID = try config.pointer(name("PAYMENT_ID"), default: "/data/id")
        amount = try config.pointer(name("AMOUNT"), default: "/data/amount")
        currency = try config.pointer(name("CURRENCY"), default: "/data/currency")
        status = try config.pointer(name("STATUS"), default: "/data/status")
        refundID = try config.pointer(name("REFUND_ID"), default: "/data/refund_id")
        refundAmount = try config.pointer(name("REFUND_AMOUNT"), default: "/data/refund_amount")
        let formatText = config.string(name("AMOUNT_FORMAT"), default: "cents")
        guard let format = CustomAmountFormat(rawValue: formatText) else {
            throw ConfigurationError(
                variable: name("AMOUNT_FORMAT"), problem: "must be cents or decimal, got '\(formatText)'")
        }
        amountFormat = format
        statuses = try CustomGatewayConfiguration.statusTable(config, id: id)
        allowedIPs = SourceAllowList(config, variable: name("ALLOWED_IPS"))
        if let template = config.optional(name("CHECKOUT_URL")) {
            do {
                checkoutURL = try CustomCheckoutURL(template: template)
            } catch {
                throw ConfigurationError(variable: name("CHECKOUT_URL"), problem: error.problem)
            }
        } else {
            checkoutURL = nil
        }
    }

    /// Whether a webhook from `address` (nginx's `REMOTE_ADDR`) may be processed.
    public func isAllowedSource(_ address: String) -> Bool { allowedIPs.permits(address) }

    /// The three status lists; a status in two lists is refused, naming the later list.
    private static func statusTable(_ config: ConfigReader, id: String) throws(ConfigurationError)
        -> CustomStatusTable
    {
        let name = { (suffix: String) in CustomGatewayConfiguration.variable(id, suffix) }
        let defaults = CustomStatusTable()
        let read = { (suffix: String, fallback: Set<String>) -> Set<String> in
            let listed = config.list(name(suffix))
            return listed.isEmpty ? fallback : Set(listed)
        }
        let paid = read("PAID_STATUSES", defaults.paid)
        let failed = read("FAILED_STATUSES", defaults.failed)
        let refund = read("REFUND_STATUSES", defaults.refund)
        if let shared = paid.intersection(failed).sorted().first {
            throw ConfigurationError(variable: name("FAILED_STATUSES"), problem: "repeats the paid status '\(shared)'")
        }
        if let shared = paid.union(failed).intersection(refund).sorted().first {
            throw ConfigurationError(
                variable: name("REFUND_STATUSES"), problem: "repeats the paid or failed status '\(shared)'")
        }
        return CustomStatusTable(paid: paid, failed: failed, refund: refund)
    }

    /// An RFC 9110 token character (header names).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

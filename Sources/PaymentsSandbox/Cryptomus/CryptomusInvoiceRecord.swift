import PaymentsCore

/// One emulated Cryptomus invoice (research §1.2) and its views: the API `result` object and the webhook fields.
struct CryptomusInvoiceRecord: Sendable {
    /// Statuses after which nothing but a refund happens; everything else is still waiting.
    static let finalStatuses: Set<String> = [
        "paid", "paid_over", "wrong_amount", "cancel", "fail", "system_fail", "refund_paid", "refund_fail",
    ]
    /// Statuses of an invoice that has not been paid (or refused) yet.
    static let waitingStatuses: Set<String> = ["check", "confirm_check", "process", "wrong_amount_waiting", "locked"]

    let uuid: String
    let orderID: String
    /// The invoice amount exactly as requested (`"15.00"`).
    let amount: String
    let currency: String
    let urlCallback: String?
    let urlReturn: String?
    let urlSuccess: String?
    let createdAt: Int64
    var expiresAt: Int64
    var status = "check"
    var isFinal = false
    /// What the payer sent, in USD, once something was sent.
    var paymentAmountUSD: String?
    var txid: String?
    var updatedAt: Int64

    init(
        orderID: String, amount: String, currency: String, lifetime: Int64,
        urls: (callback: String?, back: String?, success: String?),
        now: Int64
    ) {
        uuid = Self.randomUUID()
        self.orderID = orderID
        self.amount = amount
        self.currency = currency
        urlCallback = urls.callback
        urlReturn = urls.back
        urlSuccess = urls.success
        createdAt = now
        updatedAt = now
        expiresAt = now + lifetime
    }

    /// Test data that exercises the PHP-style signature: a `/` and non-ASCII text.
    var additionalData: String { "tn-payments/заказ №\(orderID.prefix(8))" }

    /// The `payment_amount_usd` less a 2 % commission, as decimal text.
    private var merchantAmount: String? {
        guard let paid = paymentAmountUSD.flatMap({ Money.flooringCents(fromDecimal: $0) }) else { return nil }
        return Money(cents: paid.cents - paid.cents / 50).decimalString
    }

    private var commission: String? {
        guard let paid = paymentAmountUSD.flatMap({ Money.flooringCents(fromDecimal: $0) }) else { return nil }
        return Money(cents: paid.cents / 50).decimalString
    }

    /// `POST /v1/payment` and `/v1/payment/info` result; `override` replaces status and finality (the "disagreeing
    /// re-read" switch).
    func result(override: (status: String, isFinal: Bool)? = nil) -> JSONValue {
        .object([
            ("uuid", .string(uuid)), ("order_id", .string(orderID)), ("amount", .string(amount)),
            ("payment_amount", .optional(paymentAmountUSD)), ("payment_amount_usd", .optional(paymentAmountUSD)),
            ("payer_amount", .optional(paymentAmountUSD)), ("discount_percent", .null),
            ("discount", .string("0.00000000")),
            ("payer_currency", .string("USDT")), ("currency", .string(currency)),
            ("merchant_amount", .optional(merchantAmount)),
            ("network", .string("tron")), ("address", .string("TSandboxAddress\(uuid.prefix(8))")), ("from", .null),
            ("txid", .optional(txid)), ("payment_status", .string(override?.status ?? status)),
            ("url", .string("https://pay.cryptomus.com/pay/\(uuid)")), ("expired_at", .int(expiresAt)),
            ("status", .string(override?.status ?? status)), ("is_final", .bool(override?.isFinal ?? isFinal)),
            ("additional_data", .string(additionalData)), ("created_at", .string(Self.timestamp(createdAt))),
            ("updated_at", .string(Self.timestamp(updatedAt))),
        ])
    }

    /// The webhook fields in the documented order (research §1.4), without `sign`.
    var webhookFields: JSONValue {
        .object([
            ("type", .string("payment")), ("uuid", .string(uuid)), ("order_id", .string(orderID)),
            ("amount", .string(amount)),
            ("payment_amount", .optional(paymentAmountUSD)), ("payment_amount_usd", .optional(paymentAmountUSD)),
            ("merchant_amount", .optional(merchantAmount)), ("commission", .optional(commission)),
            ("is_final", .bool(isFinal)),
            ("status", .string(status)), ("from", .null), ("wallet_address_uuid", .null), ("network", .string("tron")),
            ("currency", .string(currency)), ("payer_currency", .string("USDT")),
            ("additional_data", .string(additionalData)),
            ("txid", .optional(txid)),
        ])
    }

    /// A random lowercase UUIDv4, the shape of Cryptomus invoice ids.
    static func randomUUID() -> String {
        let variant = ["8", "9", "a", "b"][Int.random(in: 0..<4)]
        return
            "\(RandomID.hex(8))-\(RandomID.hex(4))-4\(RandomID.hex(3))-\(variant)\(RandomID.hex(3))-\(RandomID.hex(12))"
    }

    /// `2026-01-02T03:04:05+00:00`, the shape Cryptomus prints.
    static func timestamp(_ seconds: Int64) -> String {
        let days = seconds / 86_400
        let rest = seconds % 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))+00:00"
    }
}

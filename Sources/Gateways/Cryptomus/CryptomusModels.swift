import PaymentsCore

/// A Cryptomus invoice as the API returns it (`POST /v1/payment`, `POST /v1/payment/info`) or as a payment
/// webhook reports it; both share the fields read here.
/// See https://doc.cryptomus.com/merchant-api/payments/creating-invoice and
/// https://doc.cryptomus.com/merchant-api/payments/webhook
public struct CryptomusInvoice: Sendable, Equatable {
    /// The invoice id; the ledger's `payment_id` and the stem of event ids.
    public var uuid: String
    /// Our session's `public_id`.
    public var orderID: String?
    /// The invoice amount as sent (`"15.00"`), in `currency`.
    public var amount: String?
    public var currency: String?
    /// What the payer sent, converted to USD (`"15.00000000"`); a decimal string, never parsed as floating point.
    public var paymentAmountUSD: String?
    /// `check`, `confirm_check`, `paid`, `paid_over`, `wrong_amount`, `cancel`, `fail`, `system_fail`,
    /// `refund_process`, `refund_paid`, `refund_fail`, `locked`, … (webhooks: `status`; API: `payment_status`).
    public var status: String
    public var isFinal: Bool
    /// The payment page (API answers only).
    public var url: String?
    /// `payment` for invoices; `wallet` for static wallets (not used here).
    public var type: String?

    public init?(_ json: JSONValue) {
        guard let uuid = json["uuid"]?.stringValue, !uuid.isEmpty,
            let status = json["status"]?.stringValue ?? json["payment_status"]?.stringValue, !status.isEmpty
        else { return nil }
        self.uuid = uuid
        self.status = status
        orderID = json["order_id"]?.stringValue
        amount = json["amount"]?.stringValue ?? json["amount"]?.numberText
        currency = json["currency"]?.stringValue
        paymentAmountUSD = json["payment_amount_usd"]?.stringValue ?? json["payment_amount_usd"]?.numberText
        isFinal = json["is_final"]?.boolValue ?? false
        url = json["url"]?.stringValue
        type = json["type"]?.stringValue
    }

    /// Paid in full or more, and final: the only states that credit.
    public var isFinallyPaid: Bool { (status == "paid" || status == "paid_over") && isFinal }
}

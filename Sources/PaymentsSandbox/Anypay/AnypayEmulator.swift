import Logging
import PaymentsCore
import Signing

/// Emulates Anypay's merchant page and notifications (research §3.5) on its own port: `/merchant` takes the payment
/// form (GET query or POST form) and checks its SHA-256 `sign`; `pay` control calls send the signed notification to
/// `<SANDBOX_WEBHOOK_TARGET>/anypay-handleWebhookEvents` as a POST form or a GET query, genuine or forged.
final class AnypayEmulator: MerchantPage {
    let merchantID: String
    let secretKey: String
    /// Where notifications go; nil when delivery is disabled.
    let resultURL: String?
    let state = Locked(AnypayStore())
    let logger: Logger

    init(merchantID: String, secretKey: String, webhookTarget: String?, logger: Logger) {
        self.merchantID = merchantID
        self.secretKey = secretKey
        resultURL = webhookTarget.map { $0 + "/anypay-handleWebhookEvents" }
        self.logger = logger
    }

    /// Checks a payment form as Anypay's merchant page does (SHA-256 sign type) and records the payment.
    func acceptForm(_ fields: [(String, String)]) -> SandboxResponse {
        func field(_ name: String) -> String { fields.first { $0.0 == name }?.1 ?? "" }
        guard field("merchant_id") == merchantID else { return .text(400, "Project not found") }
        let payID = field("pay_id")
        guard (1...15).contains(payID.count), payID.allSatisfy(\.isASCIIDigit) else {
            return .text(400, "Invalid pay_id")
        }
        let amount = field("amount")
        guard Money.exactCents(fromDecimal: amount) != nil else { return .text(400, "Invalid amount") }
        let currency = field("currency")
        guard ["RUB", "UAH", "BYN", "KZT", "USD", "EUR"].contains(currency) else {
            return .text(400, "Invalid currency")
        }
        guard field("desc").count <= 150 else { return .text(400, "desc is longer than 150 characters") }
        let expected = hexDigest([
            merchantID, payID, amount, currency, field("desc"), field("success_url"), field("fail_url"), secretKey,
        ])
        guard constantTimeEquals(Array(field("sign").lowercased().utf8), Array(expected.utf8)) else {
            return .text(400, "Wrong sign")
        }
        let stored = state.withLock { store -> AnypaySandboxPayment? in
            if let existing = store.payments[payID] {
                return existing.amount == amount && existing.currency == currency ? existing : nil
            }
            let payment = AnypaySandboxPayment(
                payID: payID, transactionID: store.newTransactionID(), amount: amount, currency: currency,
                description: field("desc"), successURL: field("success_url"), failURL: field("fail_url"))
            store.payments[payID] = payment
            return payment
        }
        guard let stored else { return .text(409, "pay_id already used for another amount") }
        return .json(200, stored.json)
    }

    /// Lowercase hex SHA-256 of the values joined with `:`.
    func hexDigest(_ values: [String]) -> String {
        Hex.encode(Digest.sha256(Array(values.joined(separator: ":").utf8)))
    }

    /// The notification for a payment's status: Anypay's fields, `sign` last, broken as `forgery` says.
    func notification(
        for payment: AnypaySandboxPayment, status: String, amount: String, currency: String, test: Bool,
        forgery: FormNotification.Forgery?, method: String
    ) -> FormNotification {
        let key = forgery == .wrongSecret ? secretKey + "-forged" : secretKey
        var signed = [currency, amount, payment.payID, merchantID, status, key]
        if forgery == .swappedFields { signed.swapAt(0, 1) }
        let signature =
            forgery == .legacyMD5
            ? Hex.encode(Digest.md5(Array([merchantID, amount, payment.payID, key].joined(separator: ":").utf8)))
            : hexDigest(signed)
        let profitCents = (Money.exactCents(fromDecimal: amount)?.cents ?? 0) * 95 / 100
        var fields: [(String, String)] = [
            ("merchant_id", merchantID), ("transaction_id", payment.transactionID), ("pay_id", payment.payID),
            ("amount", amount), ("currency", currency), ("profit", Money(cents: profitCents).decimalString),
            ("email", "payer@example.com"), ("method", "card"), ("status", status), ("test", test ? "1" : "0"),
        ]
        switch forgery {
        case .tamperedAmount:
            fields[3].1 = Money(cents: (Money.exactCents(fromDecimal: amount)?.cents ?? 0) + 1).decimalString
        case .tamperedStatus: fields[8].1 = status == "paid" ? "canceled" : "paid"
        default: break
        }
        if forgery != .missingSign { fields.append(("sign", signature)) }
        return FormNotification(fields: fields, forgery: forgery, method: method)
    }

    /// Sends a notification outside the lock, then records it with the backend's answer.
    func deliver(_ notification: FormNotification, send: Bool) -> FormNotification {
        var delivered = notification
        if send {
            delivered.deliver(to: resultURL) { status, body in status == 200 && body == "OK" }
            logger.info("anypay notification for \(notification.value("pay_id") ?? ""): \(delivered.deliveryStatus)")
        }
        state.withLock { $0.notifications.append(delivered) }
        return delivered
    }
}

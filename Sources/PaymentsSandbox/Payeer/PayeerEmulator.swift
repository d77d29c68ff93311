import Logging
import PaymentsCore
import Signing

/// Emulates Payeer's merchant page and status notifications (research §2.5) on its own port: `/merchant/` takes the
/// payment form (POST form or GET query), checks `m_sign` and decrypts `m_params`; `pay` control calls send the
/// signed notification to `<SANDBOX_WEBHOOK_TARGET>/payeer-handleWebhookEvents`, genuine or forged.
final class PayeerEmulator: MerchantPage {
    let shopID: String
    let secretKey: String
    let paramsKey: String
    /// Where notifications go; nil when delivery is disabled.
    let statusURL: String?
    let state = Locked(PayeerStore())
    let logger: Logger

    init(shopID: String, secretKey: String, paramsKey: String, webhookTarget: String?, logger: Logger) {
        self.shopID = shopID
        self.secretKey = secretKey
        self.paramsKey = paramsKey
        statusURL = webhookTarget.map { $0 + "/payeer-handleWebhookEvents" }
        self.logger = logger
    }

    /// Checks a payment form as Payeer's merchant page does and records the order.
    func acceptForm(_ fields: [(String, String)]) -> SandboxResponse {
        func field(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }
        guard field("m_shop") == shopID else { return .text(400, "Shop not found") }
        guard let orderID = field("m_orderid"), !orderID.isEmpty, !orderID.contains(":"), !orderID.contains("|")
        else { return .text(400, "Invalid m_orderid") }
        guard let amount = field("m_amount"), Money.exactCents(fromDecimal: amount)?.decimalString == amount else {
            return .text(400, "Invalid m_amount: must be %.2f")
        }
        guard let currency = field("m_curr"), ["USD", "EUR", "RUB"].contains(currency) else {
            return .text(400, "Invalid m_curr")
        }
        guard let description = field("m_desc"), Base64.decode(description) != nil else {
            return .text(400, "Invalid m_desc: must be base64")
        }
        let params = field("m_params")
        if let method = field("m_cipher_method"), method != "AES-256-CBC" {
            return .text(400, "Unsupported m_cipher_method")
        }
        let expected = sign([shopID, orderID, amount, currency, description] + (params.map { [$0] } ?? []))
        guard let received = field("m_sign"), constantTimeEquals(Array(received.utf8), Array(expected.utf8)) else {
            return .text(400, "Wrong signature")
        }
        var urls: (success: String?, fail: String?) = (nil, nil)
        if let params {
            guard let decrypted = decryptParams(params, orderID: orderID) else {
                return .text(400, "Cannot decrypt m_params")
            }
            urls = (decrypted["success_url"]?.stringValue, decrypted["fail_url"]?.stringValue)
        }
        let order = PayeerSandboxOrder(
            orderID: orderID, amount: amount, currency: currency, description: description, params: params,
            successURL: urls.success, failURL: urls.fail)
        let stored = state.withLock { store -> PayeerSandboxOrder? in
            if let existing = store.orders[orderID] {
                return existing.amount == amount && existing.currency == currency ? existing : nil
            }
            store.orders[orderID] = order
            return order
        }
        guard let stored else { return .text(409, "m_orderid already used for another amount") }
        return .json(200, stored.json)
    }

    /// Uppercase hex SHA-256 of the values and the key, joined with `:` (Payeer's rule for forms and notifications).
    func sign(_ values: [String], key: String? = nil) -> String {
        Hex.encode(Digest.sha256(Array((values + [key ?? secretKey]).joined(separator: ":").utf8))).uppercased()
    }

    /// URL-decodes, base64-decodes and AES-256-CBC-decrypts `m_params` (key: the md5 hex of params key + order id,
    /// zero IV) into its JSON object.
    func decryptParams(_ params: String, orderID: String) -> JSONValue? {
        let key = Array(Hex.encode(Digest.md5(Array((paramsKey + orderID).utf8))).utf8)
        guard let sealed = Base64.decode(FormEncoding.decode(params, plusAsSpace: false)),
            let plain = try? AES.decrypt256CBC(sealed, key: key, iv: [UInt8](repeating: 0, count: 16)),
            let json = try? JSONValue.parse(plain), json.members != nil
        else { return nil }
        return json
    }

    /// The notification of an operation: the ten signed fields (+ `m_params`) and `m_sign`, broken as `forgery` says.
    func notification(
        for operation: PayeerSandboxOperation, order: PayeerSandboxOrder, forgery: FormNotification.Forgery?
    )
        -> FormNotification
    {
        var fields: [(String, String)] = [
            ("m_operation_id", operation.operationID), ("m_operation_ps", "2609"), ("m_operation_date", operation.date),
            ("m_operation_pay_date", operation.date), ("m_shop", shopID), ("m_orderid", order.orderID),
            ("m_amount", operation.amount), ("m_curr", operation.currency), ("m_desc", order.description),
            ("m_status", operation.status),
        ]
        if let params = order.params { fields.append(("m_params", params)) }
        var signed = fields.map(\.1)
        if forgery == .swappedFields { signed.swapAt(6, 7) }
        let signature = sign(signed, key: forgery == .wrongSecret ? secretKey + "-forged" : nil)
        switch forgery {
        case .tamperedAmount:
            let cents = Money.exactCents(fromDecimal: operation.amount)?.cents ?? 0
            fields[6].1 = Money(cents: cents + 1).decimalString
        case .tamperedStatus: fields[9].1 = operation.status == "success" ? "fail" : "success"
        default: break
        }
        if forgery != .missingSign { fields.append(("m_sign", signature)) }
        return FormNotification(fields: fields, forgery: forgery)
    }

    /// Sends a notification outside the lock, then records it with the backend's answer.
    func deliver(_ notification: FormNotification, send: Bool) -> FormNotification {
        var delivered = notification
        if send {
            let orderID = notification.value("m_orderid") ?? ""
            delivered.deliver(to: statusURL) { status, body in status == 200 && body == orderID + "|success" }
            logger.info("payeer notification for \(orderID): \(delivered.deliveryStatus)")
        }
        state.withLock { $0.notifications.append(delivered) }
        return delivered
    }
}

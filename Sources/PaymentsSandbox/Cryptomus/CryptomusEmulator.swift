import Logging
import PaymentsCore
import Signing

/// Emulates the Cryptomus merchant API on its own port (research §1.7): signed requests checked over the raw body,
/// invoices with `order_id` idempotency, payment info, refunds, webhook resend, and PHP-signed webhook delivery.
final class CryptomusEmulator: SandboxService {
    let merchantID: String
    let paymentKey: String
    let state = Locked(CryptomusStore())
    let sender: CryptomusWebhookSender

    init(merchantID: String, paymentKey: String, webhookTarget: String?, logger: Logger) {
        self.merchantID = merchantID
        self.paymentKey = paymentKey
        sender = CryptomusWebhookSender(target: webhookTarget, logger: logger)
    }

    var hasWebhookTarget: Bool { sender.url != nil }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        guard request.method == "POST" else { return Self.failure(405, "Method not allowed") }
        guard request.header("merchant") == merchantID else { return Self.failure(401, "Merchant not found") }
        guard let sign = request.header("sign"),
            constantTimeEquals(Array(sign.lowercased().utf8), Array(self.sign(request.body).utf8))
        else { return Self.failure(401, "Invalid Sign.") }
        guard let body = try? JSONValue.parse(request.body.isEmpty ? Array("{}".utf8) : request.body),
            body.members != nil
        else {
            return Self.failure(422, "The request body must be a JSON object")
        }
        let response: SandboxResponse
        switch request.path {
        case "/v1/payment": response = createInvoice(body)
        case "/v1/payment/info": response = info(body)
        case "/v1/payment/refund": response = refund(body)
        case "/v1/payment/resend": response = resend(body)
        default: return Self.failure(404, "Not found")
        }
        flush()
        return response
    }

    /// md5(base64(bytes) + payment key), lowercase hex.
    func sign(_ bytes: [UInt8]) -> String {
        Hex.encode(Digest.md5(Array((Base64.encode(bytes) + paymentKey).utf8)))
    }

    /// `POST /v1/payment`: validates, then creates the invoice or returns the one already holding this `order_id`.
    private func createInvoice(_ body: JSONValue) -> SandboxResponse {
        var errors: [(String, JSONValue)] = []
        let amount = body["amount"]?.stringValue ?? body["amount"]?.numberText
        if amount.flatMap({ Money.flooringCents(fromDecimal: $0) }) == nil {
            errors.append(("amount", .array([.string("validation.required")])))
        }
        let currency = body["currency"]?.stringValue ?? ""
        if currency.isEmpty { errors.append(("currency", .array([.string("validation.required")]))) }
        let orderID = body["order_id"]?.stringValue ?? ""
        let alphaDash = orderID.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
        }
        if orderID.isEmpty || orderID.count > 128 || !alphaDash {
            errors.append(
                ("order_id", .array([.string(orderID.isEmpty ? "validation.required" : "validation.alpha_dash")])))
        }
        for field in ["url_return", "url_success", "url_callback"] {
            guard let value = body[field] else { continue }
            guard let url = value.stringValue, (6...255).contains(url.count), url.hasPrefix("http") else {
                errors.append((field, .array([.string("validation.url")])))
                continue
            }
        }
        let lifetime = body["lifetime"].map { $0.lenientInt } ?? 3600
        if lifetime.map({ !(300...43_200).contains($0) }) ?? true {
            errors.append(("lifetime", .array([.string("validation.between.numeric")])))
        }
        guard errors.isEmpty, let amount, let lifetime else {
            return .json(422, .object([("state", .int(1)), ("errors", .object(errors))]))
        }
        let now = SocketIO.now()
        let invoice = state.withLock { store -> CryptomusInvoiceRecord in
            if let existing = store.find(uuid: nil, orderID: orderID) { return existing }
            let created = CryptomusInvoiceRecord(
                orderID: orderID, amount: amount, currency: currency, lifetime: lifetime,
                urls: (
                    body["url_callback"]?.stringValue, body["url_return"]?.stringValue, body["url_success"]?.stringValue
                ), now: now)
            store.invoices[created.uuid] = created
            store.uuidByOrder[orderID] = created.uuid
            return created
        }
        return Self.success(invoice.result())
    }

    /// `POST /v1/payment/info {uuid | order_id}`; the disagree switch can make it report another status.
    private func info(_ body: JSONValue) -> SandboxResponse {
        let result = state.withLock { store -> JSONValue? in
            store.expireDue(now: SocketIO.now(), sign: { self.event(for: $0, deliver: self.hasWebhookTarget) })
            guard let invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else { return nil }
            return invoice.result(override: store.infoOverrides[invoice.uuid])
        }
        guard let result else { return Self.failure(404, "Payment was not found") }
        return Self.success(result)
    }

    /// `POST /v1/payment/refund {uuid | order_id, address, is_subtract}`: a paid invoice moves to `refund_process`.
    private func refund(_ body: JSONValue) -> SandboxResponse {
        guard let address = body["address"]?.stringValue, !address.isEmpty else {
            return .json(
                422,
                .object([
                    ("state", .int(1)), ("errors", .object([("address", .array([.string("validation.required")]))])),
                ]))
        }
        let outcome = state.withLock { store -> String? in
            guard var invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else {
                return "Payment was not found"
            }
            guard ["paid", "paid_over", "refund_fail"].contains(invoice.status) else {
                return "Payment can not be refunded"
            }
            invoice.status = "refund_process"
            invoice.isFinal = false
            invoice.updatedAt = SocketIO.now()
            store.invoices[invoice.uuid] = invoice
            store.record(event(for: invoice, deliver: hasWebhookTarget))
            return nil
        }
        if let outcome { return Self.failure(outcome.hasSuffix("found") ? 404 : 422, outcome) }
        return Self.success(.array([]))
    }

    /// `POST /v1/payment/resend {uuid | order_id}`: sends the invoice's current state again.
    private func resend(_ body: JSONValue) -> SandboxResponse {
        let found = state.withLock { store -> Bool in
            guard let invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else { return false }
            store.record(event(for: invoice, deliver: hasWebhookTarget))
            return true
        }
        return found ? Self.success(.array([])) : Self.failure(404, "Payment was not found")
    }

    /// A signed webhook for the invoice's current state: `sign` over the PHP-style fields, appended last.
    ///
    /// `key` or `sign` forge the signature; `escapeUnicode` sends non-ASCII as `\uXXXX` (still signed unescaped).
    func event(
        for invoice: CryptomusInvoiceRecord, deliver: Bool, key: String? = nil, sign forgedSign: String? = nil,
        escapeUnicode: Bool = false
    ) -> CryptomusEventRecord {
        let fields = invoice.webhookFields
        let signedText = CryptomusPHPJSON.encode(fields)
        let signature =
            forgedSign
            ?? Hex.encode(Digest.md5(Array((Base64.encode(Array(signedText.utf8)) + (key ?? paymentKey)).utf8)))
        let body = CryptomusPHPJSON.encode(
            fields.merging(.object([("sign", .string(signature))])), escapeUnicode: escapeUnicode)
        let forged = forgedSign != nil || (key != nil && key != paymentKey)
        return CryptomusEventRecord(
            uuid: invoice.uuid, status: invoice.status, body: Array(body.utf8),
            deliveryStatus: deliver ? (hasWebhookTarget ? "pending" : "no_target") : "not_sent", forged: forged)
    }

    /// Hands new events to the sender (outside the lock), wiring delivery reports back into the store.
    func flush() {
        let events = state.withLock { $0.takeOutbox() }
        for event in events {
            sender.enqueue(
                invoice: event.uuid,
                job: CryptomusWebhookSender.Job(
                    eventID: event.id, body: event.body, retries: !event.forged,
                    report: { [self] status, httpStatus, error in
                        self.state.withLock {
                            $0.recordDelivery(eventID: event.id, status: status, httpStatus: httpStatus, error: error)
                        }
                    }))
        }
    }

    static func success(_ result: JSONValue) -> SandboxResponse {
        .json(200, .object([("state", .int(0)), ("result", result)]))
    }

    static func failure(_ status: Int, _ message: String) -> SandboxResponse {
        .json(status, .object([("state", .int(1)), ("message", .string(message))]))
    }
}

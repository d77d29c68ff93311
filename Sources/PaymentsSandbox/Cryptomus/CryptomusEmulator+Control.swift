import PaymentsCore

extension CryptomusEmulator {
    /// Routes `/control/cryptomus/...` (segments after `control/cryptomus`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        if request.method == "GET" {
            switch path.count {
            case 1 where path[0] == "events": return events(uuid: request.queryValue("uuid"))
            case 1 where path[0] == "invoices":
                return .json(
                    200, .object([("invoices", .array(state.withLock { $0.invoices.values.map { $0.result() } }))]))
            case 2 where path[0] == "invoices":
                guard let invoice = state.withLock({ $0.find(uuid: path[1], orderID: nil) }) else {
                    return .controlError(404, "no invoice \(path[1])")
                }
                return .json(200, invoice.result())
            default: return .controlError(404, "unknown control endpoint \(request.path)")
            }
        }
        guard request.method == "POST", path.count == 1 else {
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
        guard let body = JSONValue.controlBody(request) else { return .controlError(400, "body must be a JSON object") }
        let response: SandboxResponse
        switch path[0] {
        case "status": response = setStatus(body)
        case "expire": response = setStatus(body.setting("status", .string("cancel")))
        case "disagree": response = disagree(body)
        case "redeliver": response = redeliver(body)
        case "reset":
            state.withLock { $0 = CryptomusStore() }
            return .json(200, .object([("reset", .bool(true))]))
        default: return .controlError(404, "unknown control endpoint \(request.path)")
        }
        flush()
        return response
    }

    /// Which statuses may follow which: waiting → waiting | paid | paid_over | wrong_amount | cancel | fail | system_fail;
    /// paid → refund_process → refund_paid | refund_fail.
    static func allows(_ from: String, _ to: String) -> Bool {
        if CryptomusInvoiceRecord.waitingStatuses.contains(from) {
            return CryptomusInvoiceRecord.waitingStatuses.contains(to)
                || ["paid", "paid_over", "wrong_amount", "cancel", "fail", "system_fail"].contains(to)
        }
        switch (from, to) {
        case ("paid", "refund_process"), ("paid_over", "refund_process"), ("refund_fail", "refund_process"),
            ("refund_process", "refund_paid"), ("refund_process", "refund_fail"):
            return true
        default:
            return false
        }
    }

    /// `status {uuid|order_id, status, payment_amount_usd?, deliver?}` (and `expire`): moves the invoice and sends
    /// the webhook unless `deliver` is false. `paid` defaults to the invoice amount, `paid_over` to it plus 1.00,
    /// `wrong_amount` to half of it.
    private func setStatus(_ body: JSONValue) -> SandboxResponse {
        guard let target = body["status"]?.stringValue else { return .controlError(400, "status is required") }
        let deliver = body["deliver"]?.boolValue ?? true
        let paid = body["payment_amount_usd"]?.stringValue ?? body["payment_amount_usd"]?.numberText
        if let paid, Money.flooringCents(fromDecimal: paid) == nil {
            return .controlError(400, "payment_amount_usd must be a decimal string")
        }
        let result = state.withLock { store -> Result<JSONValue, SandboxError> in
            guard var invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else {
                return .failure(SandboxError("no such invoice"))
            }
            guard Self.allows(invoice.status, target) else {
                return .failure(SandboxError("cannot move invoice from \(invoice.status) to \(target)"))
            }
            let invoiceCents = Money.flooringCents(fromDecimal: invoice.amount)?.cents ?? 0
            switch target {
            case "paid": invoice.paymentAmountUSD = paid ?? invoice.amount
            case "paid_over": invoice.paymentAmountUSD = paid ?? Money(cents: invoiceCents + 100).decimalString
            case "wrong_amount", "wrong_amount_waiting":
                invoice.paymentAmountUSD = paid ?? Money(cents: invoiceCents / 2).decimalString
            default: if let paid { invoice.paymentAmountUSD = paid }
            }
            if ["paid", "paid_over", "wrong_amount", "confirm_check"].contains(target), invoice.txid == nil {
                invoice.txid = RandomID.hex(64)
            }
            invoice.status = target
            invoice.isFinal = CryptomusInvoiceRecord.finalStatuses.contains(target)
            let now = SocketIO.now()
            invoice.updatedAt = now
            if target == "cancel" { invoice.expiresAt = min(invoice.expiresAt, now) }
            store.invoices[invoice.uuid] = invoice
            let event = self.event(for: invoice, deliver: deliver)
            store.record(event)
            return .success(invoice.result().setting("sandbox_events", .array([.string(event.id)])))
        }
        switch result {
        case let .success(value): return .json(200, value)
        case let .failure(error): return .controlError(error.message.hasPrefix("no such") ? 404 : 409, error.message)
        }
    }

    /// `disagree {uuid|order_id, status?, is_final?}` makes `/v1/payment/info` report `status` (default
    /// `confirm_check`, not final) whatever the invoice's real state; `{…, "clear": true}` ends it.
    private func disagree(_ body: JSONValue) -> SandboxResponse {
        let found = state.withLock { store -> Bool in
            guard let invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else { return false }
            if body["clear"]?.boolValue == true {
                store.infoOverrides[invoice.uuid] = nil
            } else {
                store.infoOverrides[invoice.uuid] = (
                    body["status"]?.stringValue ?? "confirm_check", body["is_final"]?.boolValue ?? false
                )
            }
            return true
        }
        return found ? .json(200, .object([("ok", .bool(true))])) : .controlError(404, "no such invoice")
    }

    /// `redeliver {uuid|order_id, key?, sign?, escape_unicode?}`: sends the invoice's current state again, optionally
    /// signed with another key or carrying a literal `sign` (forgeries), or with `\uXXXX`-escaped text.
    private func redeliver(_ body: JSONValue) -> SandboxResponse {
        let event = state.withLock { store -> CryptomusEventRecord? in
            guard let invoice = store.find(uuid: body["uuid"]?.stringValue, orderID: body["order_id"]?.stringValue)
            else { return nil }
            let event = self.event(
                for: invoice, deliver: true, key: body["key"]?.stringValue, sign: body["sign"]?.stringValue,
                escapeUnicode: body["escape_unicode"]?.boolValue ?? false)
            store.record(event)
            return event
        }
        guard let event else { return .controlError(404, "no such invoice") }
        return .json(200, event.json)
    }

    /// Every webhook sent or held back, oldest first, optionally of one invoice.
    private func events(uuid: String?) -> SandboxResponse {
        let list = state.withLock { store in store.events.filter { uuid == nil || $0.uuid == uuid }.map(\.json) }
        return .json(200, .object([("events", .array(list))]))
    }
}

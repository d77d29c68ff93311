import PaymentsCore

extension AnypayEmulator {
    /// Routes `/control/anypay/...` (segments after `control/anypay`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        switch (request.method, path) {
        case ("GET", ["payments"]):
            return .json(200, .object([("payments", .array(state.withLock { $0.payments.values.map(\.json) }))]))
        case ("GET", ["notifications"]):
            let payID = request.queryValue("pay_id")
            let list = state.withLock { store in
                store.notifications.filter { payID == nil || $0.value("pay_id") == payID }.map(\.json)
            }
            return .json(200, .object([("notifications", .array(list))]))
        case ("POST", ["reset"]):
            state.withLock { $0 = AnypayStore() }
            return .json(200, .object([("reset", .bool(true))]))
        case ("POST", ["pay"]):
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            switch FormNotification.Forgery.parse(body, allowingLegacyMD5: true) {
            case let .success(forgery): return pay(body, forgery: forgery)
            case let .failure(error): return .controlError(400, error.message)
            }
        default:
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
    }

    /// `pay {pay_id, status?, amount?, currency?, test?, http_method?, deliver?, forge?}`: the payment's notification
    /// (status `paid`, its own amount and currency, `test=0`, POSTed, by default), genuinely signed unless forged,
    /// sent unless `deliver` is false. Calling it again sends the same transaction again (a duplicate); a forged
    /// one does not change the payment.
    private func pay(_ body: JSONValue, forgery: FormNotification.Forgery?) -> SandboxResponse {
        guard let payID = body["pay_id"]?.stringValue else { return .controlError(400, "pay_id is required") }
        let method = body["http_method"]?.stringValue?.uppercased() ?? "POST"
        guard method == "POST" || method == "GET" else { return .controlError(400, "http_method must be GET or POST") }
        let status = body["status"]?.stringValue ?? "paid"
        let built = state.withLock { store -> FormNotification? in
            guard var payment = store.payments[payID] else { return nil }
            if forgery == nil {
                payment.status = status
                store.payments[payID] = payment
            }
            return notification(
                for: payment, status: status, amount: body["amount"]?.stringValue ?? payment.amount,
                currency: body["currency"]?.stringValue ?? payment.currency, test: body["test"]?.boolValue ?? false,
                forgery: forgery, method: method)
        }
        guard let built else { return .controlError(404, "no payment \(payID)") }
        return .json(200, deliver(built, send: body["deliver"]?.boolValue ?? true).json)
    }
}

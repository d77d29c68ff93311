import PaymentsCore

extension PayeerEmulator {
    /// Routes `/control/payeer/...` (segments after `control/payeer`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        switch (request.method, path) {
        case ("GET", ["orders"]):
            return .json(200, .object([("orders", .array(state.withLock { $0.orders.values.map(\.json) }))]))
        case ("GET", ["notifications"]):
            let orderID = request.queryValue("m_orderid")
            let list = state.withLock { store in
                store.notifications.filter { orderID == nil || $0.value("m_orderid") == orderID }.map(\.json)
            }
            return .json(200, .object([("notifications", .array(list))]))
        case ("POST", ["reset"]):
            state.withLock { $0 = PayeerStore() }
            return .json(200, .object([("reset", .bool(true))]))
        case ("POST", ["pay"]), ("POST", ["redeliver"]):
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            let forgery: FormNotification.Forgery?
            switch FormNotification.Forgery.parse(body, allowingLegacyMD5: false) {
            case let .success(value): forgery = value
            case let .failure(error): return .controlError(400, error.message)
            }
            return path == ["pay"] ? pay(body, forgery: forgery) : redeliver(body, forgery: forgery)
        default:
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
    }

    /// `pay {m_orderid, status?, m_amount?, m_curr?, deliver?, forge?}`: a new operation on the order (status `success`,
    /// the order's amount and currency by default) and its genuinely signed notification, sent unless `deliver` is
    /// false; a forged one does not change the order.
    private func pay(_ body: JSONValue, forgery: FormNotification.Forgery?) -> SandboxResponse {
        guard let orderID = body["m_orderid"]?.stringValue else { return .controlError(400, "m_orderid is required") }
        let status = body["status"]?.stringValue ?? "success"
        let built = state.withLock { store -> FormNotification? in
            guard var order = store.orders[orderID] else { return nil }
            let operation = PayeerSandboxOperation(
                operationID: store.newOperationID(), orderID: orderID, status: status,
                amount: body["m_amount"]?.stringValue ?? order.amount,
                currency: body["m_curr"]?.stringValue ?? order.currency,
                date: PayeerStore.payeerDate(SocketIO.now()))
            store.operations[operation.operationID] = operation
            if forgery == nil {
                order.status = status
                store.orders[orderID] = order
            }
            return notification(for: operation, order: order, forgery: forgery)
        }
        guard let built else { return .controlError(404, "no order \(orderID)") }
        return .json(200, deliver(built, send: body["deliver"]?.boolValue ?? true).json)
    }

    /// `redeliver {m_operation_id, forge?}`: sends an operation's notification again (a duplicate, or a forgery of it).
    private func redeliver(_ body: JSONValue, forgery: FormNotification.Forgery?) -> SandboxResponse {
        guard let operationID = body["m_operation_id"]?.stringValue else {
            return .controlError(400, "m_operation_id is required")
        }
        let built = state.withLock { store -> FormNotification? in
            guard let operation = store.operations[operationID], let order = store.orders[operation.orderID] else {
                return nil
            }
            return notification(for: operation, order: order, forgery: forgery)
        }
        guard let built else { return .controlError(404, "no operation \(operationID)") }
        return .json(200, deliver(built, send: true).json)
    }
}

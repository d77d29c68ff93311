import PaymentsCore

extension RetailEmulator {
    /// `POST /control/retail {"mode", "latency_ms"}`: switches the failure mode; either key may be left out.
    func setMode(_ body: JSONValue) -> SandboxResponse {
        var mode: RetailMode? = nil
        if let text = body["mode"]?.stringValue {
            guard let parsed = RetailMode(rawValue: text) else {
                let known = RetailMode.allCases.map(\.rawValue).joined(separator: "|")
                return .controlError(400, "mode must be one of \(known)")
            }
            mode = parsed
        } else if body["mode"] != nil {
            return .controlError(400, "mode must be a string")
        }
        var latency: Int? = nil
        if let value = body["latency_ms"] {
            guard let number = value.lenientInt, (0...600_000).contains(number) else {
                return .controlError(400, "latency_ms must be an integer 0...600000")
            }
            latency = Int(number)
        }
        let current = state.withLock { store -> (RetailMode, Int) in
            if let mode {
                store.mode = mode
                store.flapCounter = 0
                if latency == nil { store.latencyMilliseconds = 0 }
            }
            if let latency { store.latencyMilliseconds = latency }
            return (store.mode, store.latencyMilliseconds)
        }
        return .json(200, .object([("mode", .string(current.0.rawValue)), ("latency_ms", .int(current.1))]))
    }

    /// `POST /control/retail/reject {"transaction_id", "status"}`: refuses that transaction id with `status`
    /// (400...599, answered with `ValidationException`) until a `status` of 0 clears it.
    func setRejection(_ body: JSONValue) -> SandboxResponse {
        guard let id = body["transaction_id"]?.stringValue, !id.isEmpty else {
            return .controlError(400, "transaction_id must be a non-empty string")
        }
        guard let status = body["status"]?.lenientInt, status == 0 || (400...599).contains(status) else {
            return .controlError(400, "status must be 0 (clear) or 400...599")
        }
        state.withLock { $0.rejections[id] = status == 0 ? nil : RetailStore.Rejection(status: Int(status)) }
        return rejections()
    }

    /// `GET /control/retail/reject`: the refused transaction ids, each with its status and how often it was refused.
    func rejections() -> SandboxResponse {
        let rejections = state.withLock { $0.rejections }
        let items = rejections.sorted { $0.key < $1.key }.map { id, rejection -> JSONValue in
            .object([
                ("transaction_id", .string(id)), ("status", .int(rejection.status)), ("hits", .int(rejection.hits)),
            ])
        }
        return .json(200, .object([("rejections", .array(items))]))
    }

    /// `GET /control/retail`: the current mode and counters.
    func status() -> SandboxResponse {
        let snapshot = state.withLock { $0 }
        return .json(
            200,
            .object([
                ("mode", .string(snapshot.mode.rawValue)), ("latency_ms", .int(snapshot.latencyMilliseconds)),
                ("attempts", .int(snapshot.attempts)), ("transaction_attempts", .int(snapshot.transactionAttempts)),
                ("customers", .int(snapshot.balances.count)), ("transactions", .int(snapshot.transactions.count)),
            ]))
    }

    /// `GET /control/retail/transactions`: every accepted transaction in arrival order, counters and balances.
    func transactions(customerID: String?) -> SandboxResponse {
        let snapshot = state.withLock { $0 }
        var items: [JSONValue] = []
        for id in snapshot.order {
            guard let transaction = snapshot.transactions[id] else { continue }
            if let customerID, transaction.customerID != customerID { continue }
            items.append(
                .object([
                    ("customer_id", .string(transaction.customerID)),
                    ("transaction_id", .string(transaction.transactionID)),
                    ("amount", .int(transaction.amount)), ("applied_count", .int(transaction.appliedCount)),
                    ("received_count", .int(transaction.receivedCount)),
                ]))
        }
        let customers = snapshot.balances.keys.sorted().compactMap { id -> JSONValue? in
            if let customerID, id != customerID { return nil }
            return .object([("customer_id", .string(id)), ("total", .int(snapshot.balances[id] ?? 0))])
        }
        return .json(
            200,
            .object([
                ("transactions", .array(items)), ("attempts", .int(snapshot.attempts)),
                ("transaction_attempts", .int(snapshot.transactionAttempts)), ("customers", .array(customers)),
                ("mode", .string(snapshot.mode.rawValue)),
            ]))
    }

    /// `POST /control/retail/reset`: forgets all customers, transactions and counters; mode back to `ok`.
    func reset() -> SandboxResponse {
        state.withLock { $0.reset() }
        return .json(200, .object([("reset", .bool(true))]))
    }
}

import PaymentsCore

/// Emulates the Platfone Retail API under `/api/v1/retail` (customers, transactions deduplicated on `transaction_id`,
/// balances), with switchable failure modes for sync tests.
final class RetailEmulator: SandboxService {
    let apiKey: String
    let state = Locked(RetailStore())

    init(apiKey: String) { self.apiKey = apiKey }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1", segments[2] == "retail" else {
            return Self.error(404, "NotFoundException", "Cannot \(request.method) \(request.path)")
        }
        let route = Array(segments.dropFirst(3))
        let isPost = request.method == "POST"
        let isTransaction = isPost && route.count == 4 && route[0] == "m" && route[3] == "transaction"
        // Parsed once: the refusal switch reads its id and the booking the rest. A refusal is decided on arrival,
        // like the mode, so a slow answer keeps what was set when it came in.
        let transaction = isTransaction ? try? JSONValue.parse(request.body) : nil
        let transactionID = transaction?["transaction_id"]?.stringValue
        let (mode, latency, flapFails, rejection) = state.withLock { store -> (RetailMode, Int, Bool, Int?) in
            if isPost { store.attempts += 1 }
            if isTransaction { store.transactionAttempts += 1 }
            let rejection = transactionID.flatMap { store.rejection(for: $0) }
            var flapFails = false
            if store.mode == .flap {
                flapFails = store.flapCounter % 2 == 0
                store.flapCounter += 1
            }
            let latency = store.mode == .slow && store.latencyMilliseconds == 0 ? 2000 : store.latencyMilliseconds
            return (store.mode, latency, flapFails, rejection)
        }
        SocketIO.sleep(milliseconds: latency)
        switch mode {
        case .down: return .drop
        case .fail: return Self.error(500, "InternalServerErrorException", "Internal server error")
        case .unauthorized: return Self.error(401, "UnauthorizedException", "Invalid API key")
        case .flap where flapFails: return Self.error(500, "InternalServerErrorException", "Internal server error")
        default: break
        }
        guard let key = request.header("x-api-key"), key == apiKey else {
            return Self.error(401, "UnauthorizedException", "Missing or invalid X-Api-Key")
        }
        if let rejection {
            return Self.error(rejection, "ValidationException", "Transaction refused by the sandbox switch")
        }
        let response = dispatch(request, route, transaction: transaction)
        if mode == .loseAnswer {
            return Self.error(500, "InternalServerErrorException", "Internal server error")
        }
        return response
    }

    /// - Parameter transaction: the body of a transaction POST, parsed on arrival (nil when it is not JSON).
    private func dispatch(_ request: SandboxRequest, _ route: [String], transaction: JSONValue?) -> SandboxResponse {
        switch (request.method, route.count) {
        case ("POST", 2) where route == ["m", "customer"]:
            return createCustomer(request)
        case ("POST", 4) where route[0] == "m" && route[1] == "customer" && route[3] == "transaction":
            return createTransaction(transaction, customerID: route[2])
        case ("GET", 4) where route[0] == "a" && route[1] == "customer" && route[3] == "balance":
            let balance = state.withLock { $0.balances[route[2]] }
            guard let balance else { return Self.error(404, "CustomerNotFoundException", "Customer not found") }
            return .json(200, .object([("total", .int(balance)), ("reserved", .int(0))]))
        default:
            return Self.error(404, "NotFoundException", "Cannot \(request.method) \(request.path)")
        }
    }

    private func createCustomer(_ request: SandboxRequest) -> SandboxResponse {
        guard let body = try? JSONValue.parse(request.body), let id = body["customer_id"]?.stringValue, !id.isEmpty,
            id.utf8.count <= 128
        else {
            return Self.error(400, "ValidationException", "customer_id must be a non-empty string")
        }
        let created = state.withLock { $0.createCustomer(id) }
        guard created else { return Self.error(409, "CustomerAlreadyExistsException", "Customer already exists") }
        return Self.success
    }

    private func createTransaction(_ body: JSONValue?, customerID: String) -> SandboxResponse {
        guard let body, body.members != nil else {
            return Self.error(400, "ValidationException", "body must be a JSON object")
        }
        guard let transactionID = body["transaction_id"]?.stringValue, !transactionID.isEmpty,
            transactionID.utf8.count <= 255
        else {
            return Self.error(400, "ValidationException", "transaction_id must be a non-empty string")
        }
        guard let amount = body["amount"]?.int64Value else {
            return Self.error(400, "ValidationException", "amount must be an integer number of cents")
        }
        let outcome = state.withLock { $0.apply(customerID: customerID, transactionID: transactionID, amount: amount) }
        switch outcome {
        case .applied: return Self.success
        case .duplicate: return Self.error(409, "TransactionAlreadyExistsException", "Transaction already exists")
        case .customerNotFound: return Self.error(404, "CustomerNotFoundException", "Customer not found")
        }
    }

    static let success = SandboxResponse.json(200, .object([("result", .string("success"))]))

    /// The Retail error shape `{"errorName", "errorMessage"}`.
    static func error(_ status: Int, _ name: String, _ message: String) -> SandboxResponse {
        .json(status, .object([("errorName", .string(name)), ("errorMessage", .string(message))]))
    }
}

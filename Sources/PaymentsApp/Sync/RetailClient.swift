import PaymentsCore
import PaymentsStore

/// Talks to the Retail API: pushes ledger rows as customer transactions (DESIGN §7).
///
/// Stateless and `Sendable`: one instance is shared by every sync thread and worker; the transport carries the
/// per-thread keep-alive sessions. Nothing it logs or returns contains the API key or a body.
public struct RetailClient: Sendable {
    /// `RETAIL_API_URL` without a trailing slash, e.g. `https://temp-number-api.com/api/v1/retail`.
    public let baseURL: String
    private let apiKey: Secret
    private let transport: any HTTPTransport
    private let timeout: Double
    /// Records each call as the outbound service `retail`.
    private let meter: OutboundMeter

    /// Creates a client from the shared configuration (`RETAIL_API_URL`, `RETAIL_API_KEY`, `HTTP_TIMEOUT_SECONDS`).
    /// - Parameters:
    ///   - configuration: supplies the base URL, the key and the per-call timeout.
    ///   - transport: the outbound HTTP seam (the process's one production transport, or a fake in tests).
    ///   - metrics: where the calls are recorded (the process's registry; a registry of its own by default).
    public init(configuration core: CoreConfiguration, transport: any HTTPTransport, metrics: Metrics = Metrics()) {
        var base = core.retailAPIURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = core.retailAPIKey
        self.transport = transport
        self.timeout = core.httpTimeoutSeconds
        self.meter = metrics.outbound("retail")
    }

    /// The timeout of each Retail call (`HTTP_TIMEOUT_SECONDS`); a push makes one call, or three.
    public var timeoutSeconds: Double { timeout }

    /// Pushes one ledger row and says what it means for the row; never throws.
    /// - Parameter row: the claimed row (its `paymentID` is the Retail `transaction_id`).
    /// - Returns: the row's outcome per DESIGN §7.
    public func push(_ row: SyncRow) -> RetailPushOutcome {
        push(paymentID: row.paymentID, uid: row.uid, amount: row.amount)
    }

    /// Pushes several claimed rows with their transaction calls in flight together (`HTTPTransport.send(all:)`),
    /// then, one by one, the rows whose customer Retail does not know yet; never throws.
    /// - Returns: one outcome per row, in order, each as `push(_:)` would give it.
    public func push(_ rows: [SyncRow]) -> [RetailPushOutcome] {
        guard rows.count > 1 else { return rows.map { push($0) } }
        let requests = rows.map { transactionRequest(paymentID: $0.paymentID, uid: $0.uid, amount: $0.amount) }
        let answers = meter.send(all: requests, through: transport)
        return zip(rows, answers).map { row, answer in
            switch Self.transactionAnswer(answer) {
            case let .outcome(outcome):
                return outcome
            case .customerMissing:
                return pushCreatingCustomer(paymentID: row.paymentID, uid: row.uid, amount: row.amount)
            }
        }
    }

    /// Pushes `{"transaction_id": paymentID, "amount": cents}` to the customer `uid`, creating the customer once
    /// when Retail does not know it and retrying the transaction one time after that.
    /// - Returns: `.synced`, `.retry`, `.failed` or `.configurationError`, exactly as DESIGN §7's answer table says.
    public func push(paymentID: String, uid: String, amount: Money) -> RetailPushOutcome {
        switch sendTransaction(paymentID: paymentID, uid: uid, amount: amount) {
        case let .outcome(outcome):
            return outcome
        case .customerMissing:
            return pushCreatingCustomer(paymentID: paymentID, uid: uid, amount: amount)
        }
    }

    /// The rest of a push whose transaction call said the customer is unknown: create it, then send once more.
    private func pushCreatingCustomer(paymentID: String, uid: String, amount: Money) -> RetailPushOutcome {
        if let refusal = createCustomer(uid: uid) { return refusal }
        switch sendTransaction(paymentID: paymentID, uid: uid, amount: amount) {
        case let .outcome(outcome):
            return outcome
        case .customerMissing:
            // The customer was just created (or already existed): Retail has not caught up yet, so try later.
            return .retry(reason: "transaction: HTTP 404 customer still unknown after creation", retryAfterSeconds: nil)
        }
    }

    /// What a transaction call said: a final outcome for the row, or "create the customer first".
    enum TransactionAnswer: Equatable {
        case outcome(RetailPushOutcome)
        case customerMissing
    }

    /// One `POST {base}/m/customer/{uid}/transaction`, classified.
    func sendTransaction(paymentID: String, uid: String, amount: Money) -> TransactionAnswer {
        let request = transactionRequest(paymentID: paymentID, uid: uid, amount: amount)
        return Self.transactionAnswer(Result { try meter.send(request, through: transport) })
    }

    /// The transaction call of one row.
    private func transactionRequest(paymentID: String, uid: String, amount: Money) -> HTTPRequest {
        let body = JSONValue.object([("transaction_id", .string(paymentID)), ("amount", .int(amount.cents))])
        return makeRequest("POST", "\(baseURL)/m/customer/\(FormEncoding.escape(uid))/transaction", body: body)
    }

    /// What a transaction call's answer (or its failure to arrive) means for the row.
    static func transactionAnswer(_ answer: Result<HTTPResponse, any Error>) -> TransactionAnswer {
        let response: HTTPResponse
        switch answer {
        case let .success(answered):
            response = answered
        case let .failure(error):
            return .outcome(.retry(reason: "transaction: \(RetailClient.describe(error))", retryAfterSeconds: nil))
        }
        let status = response.status
        if (200..<300).contains(status) { return .outcome(.synced) }
        let name = RetailClient.errorName(response)
        // The label is built only for the outcomes that carry it (not for "create the customer first").
        let label = { RetailClient.label("transaction", status, name) }
        if status == 401 || status == 403 { return .outcome(.configurationError(reason: label())) }
        if status == 409 || RetailClient.meansAlreadyExists(name) { return .outcome(.synced) }
        if status == 404, name.map({ RetailClient.name($0, contains: "CustomerNotFound") }) ?? true {
            return .customerMissing
        }
        return .outcome(RetailClient.classifyFailure(response, label: label()))
    }

    /// One `POST {base}/m/customer`; nil when the customer exists now (2xx or 409), else the row's outcome.
    ///
    /// A 409 here only means "the customer exists": it never marks the transaction synced by itself.
    func createCustomer(uid: String) -> RetailPushOutcome? {
        let request = makeRequest("POST", "\(baseURL)/m/customer", body: .object([("customer_id", .string(uid))]))
        let response: HTTPResponse
        do {
            response = try meter.send(request, through: transport)
        } catch {
            return .retry(reason: "customer: \(RetailClient.describe(error))", retryAfterSeconds: nil)
        }
        let status = response.status
        if (200..<300).contains(status) { return nil }
        let name = RetailClient.errorName(response)
        if status == 409 || RetailClient.meansAlreadyExists(name) { return nil }
        let label = RetailClient.label("customer", status, name)
        if status == 401 || status == 403 { return .configurationError(reason: label) }
        return RetailClient.classifyFailure(response, label: label)
    }

    /// A request with the API key, JSON content type and the configured timeout.
    func makeRequest(_ method: String, _ url: String, body: JSONValue?) -> HTTPRequest {
        var headers = [("X-Api-Key", apiKey.value), ("Accept", "application/json")]
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = body.serializedBytes()
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: bytes, timeout: timeout)
    }
}

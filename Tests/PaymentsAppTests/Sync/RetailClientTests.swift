import PaymentsApp
import PaymentsCore
import PaymentsStore
import Testing

@Suite("RetailClient answer table (DESIGN §7)")
struct RetailClientTests {
    static let base = "http://127.0.0.1:18104/api/v1/retail"
    static let transactionURL = base + "/m/customer/user%2F1%20x/transaction"
    static let customerURL = base + "/m/customer"

    func client(_ transport: ScriptedTransport, base: String = RetailClientTests.base) -> RetailClient {
        RetailClient(
            configuration: CoreConfiguration(httpTimeoutSeconds: 7, retailAPIURL: base, retailAPIKey: Secret("k-123")),
            transport: transport)
    }

    func push(_ steps: [ScriptedTransport.Step]) -> (RetailPushOutcome, ScriptedTransport) {
        let transport = ScriptedTransport(steps)
        let outcome = client(transport).push(paymentID: "pi_123", uid: "user/1 x", amount: Money(cents: -1999))
        return (outcome, transport)
    }

    @Test("the transaction request has the documented method, URL, headers and integer amount")
    func transactionRequestShape() throws {
        let (outcome, transport) = push([.answer(201, body: #"{"result":"success"}"#)])
        #expect(outcome == .synced)
        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.url == Self.transactionURL)
        #expect(request.header("X-Api-Key") == "k-123")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.timeout == 7)
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"transaction_id":"pi_123","amount":-1999}"#)
    }

    @Test("a trailing slash on RETAIL_API_URL is ignored")
    func trailingSlash() throws {
        let transport = ScriptedTransport([.answer(200)])
        _ = client(transport, base: Self.base + "/").push(paymentID: "p", uid: "u", amount: Money(cents: 1))
        #expect(transport.requests.first?.url == Self.base + "/m/customer/u/transaction")
    }

    @Test("every 2xx means synced", arguments: [200, 201, 202, 204])
    func success(status: Int) {
        #expect(push([.answer(status)]).0 == .synced)
    }

    @Test("409 or an AlreadyExists/Duplicate error name means synced")
    func alreadyThere() {
        #expect(push([.answer(409)]).0 == .synced)
        #expect(push([.answer(409, body: #"{"errorName":"ConflictException"}"#)]).0 == .synced)
        #expect(push([.answer(400, body: #"{"errorName":"TransactionAlreadyExistsException"}"#)]).0 == .synced)
        #expect(push([.answer(422, body: #"{"errorName":"DuplicateTransaction","errorMessage":"x"}"#)]).0 == .synced)
    }

    @Test("404 without an error name creates the customer, then retries the transaction once")
    func customerCreatedThenRetried() throws {
        let (outcome, transport) = push([.answer(404), .answer(201), .answer(200)])
        #expect(outcome == .synced)
        let requests = transport.requests
        try #require(requests.count == 3)
        #expect(requests[0].url == Self.transactionURL)
        #expect(requests[1].method == "POST")
        #expect(requests[1].url == Self.customerURL)
        #expect(requests[1].header("X-Api-Key") == "k-123")
        #expect(String(decoding: requests[1].body, as: UTF8.self) == #"{"customer_id":"user/1 x"}"#)
        #expect(requests[2].url == Self.transactionURL)
        #expect(requests[2].body == requests[0].body)
    }

    @Test("404 CustomerNotFound and a customer 409 still retry the transaction, whose answer decides")
    func customerConflictIsNotSynced() {
        let notFound = #"{"errorName":"CustomerNotFoundException","errorMessage":"no such customer"}"#
        let (synced, t1) = push([.answer(404, body: notFound), .answer(409), .answer(200)])
        #expect(synced == .synced)
        #expect(t1.requests.count == 3)
        // The customer endpoint's 409 alone never marks the row synced: the retried transaction's 500 wins.
        let (retry, t2) = push([.answer(404, body: notFound), .answer(409), .answer(500)])
        #expect(retry == .retry(reason: "transaction: HTTP 500", retryAfterSeconds: nil))
        #expect(t2.requests.count == 3)
    }

    @Test("several rows: their transactions are sent together, an unknown customer is created afterwards")
    func severalRows() throws {
        let transport = ScriptedTransport([
            .answer(200), .answer(404), .answer(503), .answer(201), .answer(201),
        ])
        let rows = ["a", "b", "c"].enumerated().map { index, uid in
            SyncRow(
                id: Int64(index + 1), paymentID: "pi_\(uid)", uid: uid, gateway: "stripe",
                amount: Money(cents: Int64(100 * (index + 1))), attempts: 0)
        }
        let outcomes = client(transport).push(rows)
        #expect(outcomes == [.synced, .synced, .retry(reason: "transaction: HTTP 503", retryAfterSeconds: nil)])
        #expect(transport.groups == [3])
        let requests = transport.requests
        try #require(requests.count == 5)
        #expect(requests[0..<3].map(\.url) == ["a", "b", "c"].map { Self.base + "/m/customer/\($0)/transaction" })
        #expect(String(decoding: requests[2].body, as: UTF8.self) == #"{"transaction_id":"pi_c","amount":300}"#)
        #expect(requests[3].url == Self.customerURL)
        #expect(String(decoding: requests[3].body, as: UTF8.self) == #"{"customer_id":"b"}"#)
        #expect(requests[4].url == Self.base + "/m/customer/b/transaction")
        #expect(requests[4].body == requests[1].body)
    }

    @Test("the transaction is retried only once after creating the customer")
    func onlyOneRetry() {
        let (outcome, transport) = push([.answer(404), .answer(201), .answer(404), .answer(200)])
        guard case .retry = outcome else {
            Issue.record("expected retry, got \(outcome)")
            return
        }
        #expect(transport.requests.count == 3)
        #expect(transport.unusedSteps == 1)
    }

    @Test("a 404 with another error name is a permanent failure and creates no customer")
    func otherNotFound() {
        let (outcome, transport) = push([.answer(404, body: #"{"errorName":"RouteNotFound"}"#)])
        #expect(outcome == .failed(reason: "transaction: HTTP 404 RouteNotFound"))
        #expect(transport.requests.count == 1)
    }

    @Test("the customer endpoint's own answers follow the same table")
    func customerEndpointAnswers() {
        #expect(push([.answer(404), .answer(401)]).0 == .configurationError(reason: "customer: HTTP 401"))
        #expect(push([.answer(404), .answer(503)]).0 == .retry(reason: "customer: HTTP 503", retryAfterSeconds: nil))
        #expect(
            push([.answer(404), .answer(429, headers: ["retry-after": "12"])]).0
                == .retry(reason: "customer: HTTP 429", retryAfterSeconds: 12))
        #expect(push([.answer(404), .answer(422)]).0 == .failed(reason: "customer: HTTP 422"))
        #expect(
            push([.answer(404), .fail(.timeout)]).0 == .retry(reason: "customer: timed out", retryAfterSeconds: nil))
        let (outcome, transport) = push([
            .answer(404), .answer(200, body: #"{"errorName":"CustomerAlreadyExists"}"#), .answer(201),
        ])
        #expect(outcome == .synced)
        #expect(transport.requests.count == 3)
    }

    @Test("401 and 403 are configuration errors", arguments: [401, 403])
    func refusedCredentials(status: Int) {
        #expect(push([.answer(status)]).0 == .configurationError(reason: "transaction: HTTP \(status)"))
    }

    @Test("408, 425, 429 and 5xx retry with backoff", arguments: [408, 425, 429, 500, 502, 503, 504, 599])
    func transient(status: Int) {
        #expect(push([.answer(status)]).0 == .retry(reason: "transaction: HTTP \(status)", retryAfterSeconds: nil))
    }

    @Test("Retry-After seconds are honoured and capped at one hour; dates and junk are ignored")
    func retryAfter() {
        #expect(
            push([.answer(429, headers: ["retry-after": "30"])]).0
                == .retry(reason: "transaction: HTTP 429", retryAfterSeconds: 30))
        #expect(
            push([.answer(503, headers: ["retry-after": " 5 "])]).0
                == .retry(reason: "transaction: HTTP 503", retryAfterSeconds: 5))
        #expect(
            push([.answer(429, headers: ["retry-after": "99999"])]).0
                == .retry(reason: "transaction: HTTP 429", retryAfterSeconds: 3600))
        #expect(
            push([.answer(429, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"])]).0
                == .retry(reason: "transaction: HTTP 429", retryAfterSeconds: nil))
        #expect(
            push([.answer(429, headers: ["retry-after": "-3"])]).0
                == .retry(reason: "transaction: HTTP 429", retryAfterSeconds: nil))
        // More digits than Int holds is still "a long time": the cap, never a trap or a forgotten wait.
        for huge in ["9223372036854775807", "99999999999999999999", "1e300"] {
            let expected = huge == "1e300" ? nil : 3600
            #expect(
                push([.answer(429, headers: ["retry-after": huge])]).0
                    == .retry(reason: "transaction: HTTP 429", retryAfterSeconds: expected), "\(huge)")
        }
    }

    @Test("timeouts and connection failures retry with backoff")
    func transportFailures() {
        #expect(push([.fail(.timeout)]).0 == .retry(reason: "transaction: timed out", retryAfterSeconds: nil))
        #expect(
            push([.fail(.connection)]).0 == .retry(reason: "transaction: connection failed", retryAfterSeconds: nil))
    }

    @Test(
        "any other 4xx is a permanent failure naming status and error name",
        arguments: [400, 402, 405, 410, 413, 422, 451])
    func permanent(status: Int) {
        let (outcome, transport) = push([
            .answer(status, body: #"{"errorName":"Bad Thing!","errorMessage":"secret-ish"}"#)
        ])
        #expect(outcome == .failed(reason: "transaction: HTTP \(status) BadThing"))
        #expect(transport.requests.count == 1)
    }

    @Test("an unfollowed redirect is a configuration problem, not a bad row")
    func redirect() {
        guard case .configurationError = push([.answer(301, headers: ["location": "https://elsewhere"])]).0 else {
            Issue.record("a 301 should stop the pass")
            return
        }
    }

    @Test("reasons never contain the API key or the body")
    func noSecretsInReasons() {
        for steps: [ScriptedTransport.Step] in [
            [.answer(422, body: #"{"errorName":"X","errorMessage":"k-123 pi_123"}"#)], [.answer(500, body: "k-123")],
            [.fail(.connection)],
        ] {
            let reason = push(steps).0.reason
            #expect(!reason.contains("k-123"))
            #expect(!reason.contains("pi_123"))
        }
    }
}

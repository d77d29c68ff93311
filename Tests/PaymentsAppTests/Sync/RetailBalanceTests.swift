import PaymentsApp
import PaymentsCore
import Testing

@Suite("RetailClient.balance (app-getBalance)")
struct RetailBalanceTests {
    func balance(_ steps: [ScriptedTransport.Step], uid: String = "uid 1/é") throws(APIError) -> (
        (total: Int64, reserved: Int64), ScriptedTransport
    ) {
        let transport = ScriptedTransport(steps)
        let client = RetailClient(
            configuration: CoreConfiguration(retailAPIURL: "http://r.test/api/v1/retail", retailAPIKey: Secret("key")),
            transport: transport)
        let service = OutboundService(
            name: "retail", transport: transport, breaker: CircuitBreaker(service: "retail"), timeout: 3)
        return (try client.balance(uid: uid, via: service), transport)
    }

    @Test("200 answers total and reserved; the uid is percent-encoded and the key sent")
    func ok() throws {
        let (value, transport) = try balance([.answer(200, body: #"{"total":12345,"reserved":500}"#)])
        #expect(value.total == 12345)
        #expect(value.reserved == 500)
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.url == "http://r.test/api/v1/retail/a/customer/uid%201%2F%C3%A9/balance")
        #expect(request.header("X-Api-Key") == "key")
        #expect(request.body.isEmpty)
        #expect(request.timeout == 3)
    }

    @Test("404 (unknown customer) answers zeros")
    func unknownCustomer() throws {
        let (value, _) = try balance([.answer(404, body: #"{"errorName":"CustomerNotFoundException"}"#)])
        #expect(value.total == 0)
        #expect(value.reserved == 0)
    }

    @Test("500, timeouts, 401/403, other statuses and unreadable bodies answer 502")
    func unavailable() {
        let cases: [[ScriptedTransport.Step]] = [
            [.answer(500)], [.fail(.timeout)], [.fail(.connection)], [.answer(401)], [.answer(403)], [.answer(400)],
            [.answer(200, body: "not json")], [.answer(200, body: #"{"total":1.5,"reserved":0}"#)],
            [.answer(200, body: #"{"total":1}"#)],
        ]
        for steps in cases {
            #expect(throws: APIError.self) { _ = try balance(steps) }
            do {
                _ = try balance(steps)
            } catch {
                #expect(error.code == .gatewayUnavailable)
                #expect(error.code.status == 502)
                #expect(error.code.name == "GatewayUnavailableException")
            }
        }
    }
}

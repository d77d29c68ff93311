import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Synchronization
import Testing

/// `app-getBalance`: the one read of a customer's Retail balance (`AppRoutes.balance`), against a scripted Retail.
@Suite("AppRoutes balance (app-getBalance)")
struct AppBalanceTests {
    enum Step: Sendable {
        case answer(Int, body: String = "")
        case fail(HTTPTransportError.Kind)
    }

    /// Calls `app-getBalance` as `uid` with fresh services (a fresh Retail breaker), Retail answering `steps` in order.
    func balance(_ steps: [Step], uid: String = "uid 1/é") throws -> ((total: Int64, reserved: Int64), FakeTransport) {
        let script = Mutex(steps)
        let transport = FakeTransport { _ in
            switch script.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            case .none: throw HTTPTransportError(.connection, "script exhausted")
            case let .answer(status, body)?: return HTTPResponse(status: status, body: Array(body.utf8))
            case let .fail(kind)?: throw HTTPTransportError(kind, "scripted")
            }
        }
        let user = AuthenticatedUser(uid: uid, emailVerified: true, signInProvider: "google.com")
        let services = GatewayServices(
            core: CoreConfiguration(
                httpTimeoutSeconds: 3, retailAPIURL: "http://r.test/api/v1/retail", retailAPIKey: Secret("key")),
            transport: transport, authenticator: FixedAuthenticator(user: user), recaptcha: PassRecaptcha())
        var router = Router()
        try router.add(
            prefix: "app", routes: AppRoutes(GatewayContext(config: ConfigReader([:]), services: services)).routes)
        let name = Router.name(prefix: "app", action: "getBalance")
        let entry = try #require(router.resolve(method: "GET", name: name))
        let context = RequestContext(
            request: APIRequest(method: "GET", route: name, headers: [:], body: []), logger: Logger(label: "test"),
            ledger: InMemoryLedger(), services: services, user: user)
        let json = try JSONValue.parse(try entry.route.handler(context).body)
        let total = try #require(json["total"]?.int64Value)
        let reserved = try #require(json["reserved"]?.int64Value)
        return ((total, reserved), transport)
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
        let cases: [[Step]] = [
            [.answer(500)], [.fail(.timeout)], [.fail(.connection)], [.answer(401)], [.answer(403)], [.answer(400)],
            [.answer(200, body: "not json")], [.answer(200, body: #"{"total":1.5,"reserved":0}"#)],
            [.answer(200, body: #"{"total":1}"#)],
        ]
        for steps in cases {
            #expect(throws: APIError.self) { _ = try balance(steps) }
            do {
                _ = try balance(steps)
            } catch let error as APIError {
                #expect(error.code == .gatewayUnavailable)
                #expect(error.code.status == 502)
                #expect(error.code.name == "GatewayUnavailableException")
            } catch {
                Issue.record("not an APIError: \(error)")
            }
        }
    }
}

import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// `app-createEventsTicket` and `app-authorizeEvents` in process: own sessions only, the ticket rules, nginx's hooks
/// and the per-uid limit (issue 12). The same rules through nginx and nchan are in IntegrationTests.
@Suite struct EventsRoutesTests {
    static let secret = String(repeating: "k", count: 32)
    let ledger = InMemoryLedger()
    let router: Router
    let services: GatewayServices

    init() throws {
        services = GatewayServices(
            core: CoreConfiguration(), transport: FakeTransport { _ in HTTPResponse(status: 500) },
            authenticator: FixedAuthenticator(
                user: AuthenticatedUser(uid: "x", emailVerified: true, signInProvider: "p")),
            recaptcha: PassRecaptcha())
        var router = Router()
        let config = ConfigReader(["EVENTS_TICKET_SECRET": Self.secret, "EVENTS_MAX_PER_UID": "2"])
        try router.add(prefix: "app", routes: AppRoutes(GatewayContext(config: config, services: services)).routes)
        self.router = router
    }

    func call(
        _ method: String, _ action: String, body: String = "", headers: [String: String] = [:], uid: String? = nil
    )
        throws -> (status: Int, json: JSONValue?)
    {
        let name = Router.name(prefix: "app", action: action)
        let entry = try #require(router.resolve(method: method, name: name))
        let user = uid.map { AuthenticatedUser(uid: $0, emailVerified: true, signInProvider: "google.com") }
        let context = RequestContext(
            request: APIRequest(method: method, route: name, headers: headers, body: Array(body.utf8)),
            logger: Logger(label: "test"), ledger: ledger, services: services, user: user)
        do {
            let response = try entry.route.handler(context)
            return (response.status, try? JSONValue.parse(response.body))
        } catch let error as APIError {
            return (error.code.status, nil)
        }
    }

    func session(uid: String, externalID: String) throws -> PaymentSession {
        let session = try ledger.createSession(gateway: "stripe", uid: uid, amount: Money(cents: 1000), currency: "USD")
        try ledger.attachExternalID(sessionID: session.id, externalID: externalID, status: .pending)
        return session
    }

    func ticketURL(_ reference: String, uid: String) throws -> String {
        let answer = try call("POST", "createEventsTicket", body: #"{"session_id":"\#(reference)"}"#, uid: uid)
        #expect(answer.status == 200)
        #expect(answer.json?["expires_in"]?.int64Value == 300)
        return try #require(answer.json?["url"]?.stringValue)
    }

    func authorize(_ uri: String, subscriber: String = "eventsource", hook: String = "authorize") throws -> Int {
        try call(
            "GET", "authorizeEvents",
            headers: ["x-original-uri": uri, "x-events-hook": hook, "x-events-subscriber": subscriber]
        ).status
    }

    @Test func ownSessionsByPublicOrGatewayIDGetATicketOthersGet404() throws {
        let mine = try session(uid: "alice", externalID: "pi_alice")
        let url = try ticketURL(mine.publicID, uid: "alice")
        #expect(url.hasPrefix("/api/events/\(mine.publicID)?ticket=\(mine.publicID)."))
        #expect(try ticketURL("pi_alice", uid: "alice").hasPrefix("/api/events/\(mine.publicID)?ticket="))
        let body = #"{"session_id":"\#(mine.publicID)"}"#
        #expect(try call("POST", "createEventsTicket", body: body, uid: "bob").status == 404)
        #expect(try call("POST", "createEventsTicket", body: #"{"session_id":"nope"}"#, uid: "alice").status == 404)
        #expect(try call("POST", "createEventsTicket", body: #"{"session_id":""}"#, uid: "alice").status == 400)
        #expect(try call("POST", "createEventsTicket", body: #"{}"#, uid: "alice").status == 400)
    }

    @Test func theAuthorizeHookAdmitsValidTicketsOnly() throws {
        let mine = try session(uid: "alice", externalID: "pi_a")
        let other = try session(uid: "alice", externalID: "pi_b")
        let url = try ticketURL(mine.publicID, uid: "alice")
        let ticket = String(url.split(separator: "=", maxSplits: 1)[1])
        #expect(try authorize(url, subscriber: "longpoll") == 200)
        #expect(try authorize("/api/events/\(other.publicID)?ticket=\(ticket)", subscriber: "longpoll") == 403)
        #expect(try authorize("/api/events/\(mine.publicID)") == 401)
        #expect(try authorize("/api/events/\(mine.publicID)?ticket=garbage") == 401)
        var forged = Array(ticket)
        forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
        #expect(try authorize("/api/events/\(mine.publicID)?ticket=\(String(forged))") == 401)
        let expired = EventsTicketSigner(secret: Secret(Self.secret), lifetime: 300).issue(
            uid: "alice", sessionID: mine.publicID, now: services.now - 301)
        #expect(try authorize("/api/events/\(mine.publicID)?ticket=\(expired.text)") == 401)
        // Without nginx's hook header the route does not exist.
        #expect(try authorize(url, hook: "") == 404)
    }

    @Test func streamingSubscriptionsPerUIDAreLimitedAndFreedByTheUnsubscribeHook() throws {
        let first = try ticketURL(try session(uid: "alice", externalID: "pi_1").publicID, uid: "alice")
        let second = try ticketURL(try session(uid: "alice", externalID: "pi_2").publicID, uid: "alice")
        #expect(try authorize(first) == 200)
        #expect(try authorize(second, subscriber: "websocket") == 200)
        #expect(try authorize(first) == 403, "EVENTS_MAX_PER_UID is 2")
        #expect(try authorize(first, subscriber: "longpoll") == 200, "long-polls are not counted")
        let bobs = try ticketURL(try session(uid: "bob", externalID: "pi_3").publicID, uid: "bob")
        #expect(try authorize(bobs) == 200, "the limit is per uid")
        #expect(try authorize(first, hook: "unsubscribe") == 200)
        #expect(try authorize(first) == 200)
        #expect(try authorize(second) == 403)
    }

    @Test func withoutASecretBothRoutesAnswer404() throws {
        var router = Router()
        try router.add(
            prefix: "app", routes: AppRoutes(GatewayContext(config: ConfigReader([:]), services: services)).routes)
        let name = Router.name(prefix: "app", action: "createEventsTicket")
        let entry = try #require(router.resolve(method: "POST", name: name))
        let context = RequestContext(
            request: APIRequest(method: "POST", route: name, body: Array(#"{"session_id":"x"}"#.utf8)),
            logger: Logger(label: "test"), ledger: ledger, services: services,
            user: AuthenticatedUser(uid: "alice", emailVerified: true, signInProvider: "google.com"))
        #expect(throws: APIError.self) { try entry.route.handler(context) }
        do {
            _ = try entry.route.handler(context)
        } catch let error as APIError {
            #expect(error.code == .notFound)
        }
    }
}

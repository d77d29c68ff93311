import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Synchronization
import Testing

/// Drives the PayPal gateway's routes in process against a fake PayPal and an in-memory ledger.
final class PayPalHarness {
    static let certURL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-unit"
    let paypal = FakePayPal()
    let transport: FakeTransport
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let gateway: PayPalGateway
    let router: Router
    let clock = TestClock()
    let user = AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")
    let chain = PayPalTestChain.shared
    /// The Retail push hand-off of the last request `call` made.
    private(set) var lastPush = PushHandoff()
    /// Ids of the ledger rows the last request handed to the Retail push.
    var pushedRowIDs: [Int64] { lastPush.rows.map(\.id) }

    init(extra: [String: String] = [:]) throws {
        transport = paypal.makeTransport()
        paypal.state.withLock { $0.certificates[PayPalHarness.certURL] = PayPalTestChain.shared.servedPEM }
        services = GatewayServices(
            core: CoreConfiguration(), transport: transport, authenticator: FixedAuthenticator(user: user),
            recaptcha: PassRecaptcha())
        let roots = FileManager.default.temporaryDirectory.appendingPathComponent(
            "paypal-roots-\(UUID().uuidString).pem")
        try Data(chain.root.pem.utf8).write(to: roots)
        var values = [
            "PAYPAL_CLIENT_ID": "cid-unit", "PAYPAL_SECRET": "secret-unit", "PAYPAL_WEBHOOK_ID": "WH-ID-UNIT",
            "PAYPAL_CERT_HOSTS": "api.sandbox.paypal.com", "PAYPAL_TRUST_ROOTS": roots.path,
            "PAYPAL_API_BASE": FakePayPal.base,
        ]
        values.merge(extra) { _, new in new }
        let clock = self.clock
        gateway = try PayPalGateway(
            GatewayContext(config: ConfigReader(values), services: services), clock: { clock.now })
        var router = Router()
        try router.add(prefix: "paypal", routes: gateway.routes)
        self.router = router
    }

    func call(
        _ action: String, body: String, headers: [String: String] = [:], as caller: AuthenticatedUser? = nil,
        anonymous: Bool = false
    ) throws -> APIResponse {
        let name = Router.name(prefix: "paypal", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(method: "POST", route: name, headers: headers, body: Array(body.utf8))
        lastPush = PushHandoff()
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: anonymous ? nil : (caller ?? user), push: lastPush)
        return try entry.route.handler(context)
    }

    func createOrder(amount: Int = 1500) throws -> String {
        let response = try call("createOrder", body: #"{"amount":\#(amount),"recaptcha_token":"pass"}"#)
        return try #require(try JSONValue.parse(response.body)["id"]?.stringValue)
    }

    func capture(_ orderID: String, as caller: AuthenticatedUser? = nil) throws -> APIResponse {
        try call("captureOrder", body: #"{"order_id":"\#(orderID)"}"#, as: caller)
    }

    /// An approved order of `amount` whose capture PayPal holds as PENDING; answers the order id.
    func pendingCapture(amount: Int = 1500) throws -> String {
        let id = try createOrder(amount: amount)
        paypal.approve(id)
        paypal.setMode(id, "PENDING")
        #expect(try capture(id).status == 202)
        return id
    }

    /// Delivers a signed event, sent `sentAt` (unix seconds; default the harness clock's now).
    func deliver(
        _ type: String, resource: JSONValue, eventID: String = "WH-\(UUID().uuidString)", sentAt: Int64? = nil
    ) throws -> APIResponse {
        let body = JSONValue.object([
            ("id", .string(eventID)), ("event_version", .string("1.0")), ("resource_type", .string("capture")),
            ("event_type", .string(type)), ("resource", resource),
        ]).serialized()
        let headers = try chain.headers(
            body: Array(body.utf8), webhookID: "WH-ID-UNIT", certURL: PayPalHarness.certURL, at: sentAt ?? clock.now)
        return try call("handleWebhookEvents", body: body, headers: headers, anonymous: true)
    }

    /// A refund-shaped resource; unless `known` is false, PayPal's API knows it as written.
    func refundResource(
        _ id: String, capture: String, value: String, status: String = "COMPLETED", currency: String = "USD",
        known: Bool = true
    ) -> JSONValue {
        let resource = Self.refundJSON(id, capture: capture, value: value, status: status, currency: currency)
        if known { paypal.state.withLock { $0.refunds[id] = resource } }
        return resource
    }

    static func refundJSON(_ id: String, capture: String, value: String, status: String, currency: String)
        -> JSONValue
    {
        .object([
            ("id", .string(id)), ("status", .string(status)),
            ("amount", .object([("currency_code", .string(currency)), ("value", .string(value))])),
            (
                "links",
                .array([
                    .object([
                        ("rel", .string("self")), ("href", .string("\(FakePayPal.base)/v2/payments/refunds/\(id)")),
                    ]),
                    .object([
                        ("rel", .string("up")), ("href", .string("\(FakePayPal.base)/v2/payments/captures/\(capture)")),
                    ]),
                ])
            ),
        ])
    }

    static func status(_ error: any Error) -> Int? { (error as? APIError)?.code.status }
}

@Suite struct PayPalGatewayTests {
    @Test func createOrderSendsTheSessionReferencesAndAnswersIdStatusLinks() throws {
        let h = try PayPalHarness()
        let response = try h.call("createOrder", body: #"{"amount":1234,"recaptcha_token":"pass"}"#)
        #expect(response.status == 200)
        let json = try JSONValue.parse(response.body)
        #expect(json["id"]?.stringValue == "ORDER1" && json["status"]?.stringValue == "CREATED")
        #expect(json["links"]?.arrayValue?.count == 2)
        #expect(json.members.map { $0.map(\.0) } == ["id", "status", "links"])
        let session = try #require(h.ledger.sessions.first)
        #expect(session.status == .pending && session.externalID == "ORDER1" && session.gateway == "paypal")
        let sent = try #require(h.transport.requests.last)
        #expect(sent.header("PayPal-Request-Id") == "create-\(session.publicID)")
        #expect(sent.header("Prefer") == "return=representation")
        let body = try JSONValue.parse(sent.body)
        #expect(body["intent"]?.stringValue == "CAPTURE")
        let unit = try #require(body["purchase_units"]?.arrayValue?.first)
        #expect(unit["custom_id"]?.stringValue == "\(session.publicID):user-1")
        #expect(
            unit.at("amount.currency_code")?.stringValue == "USD" && unit.at("amount.value")?.stringValue == "12.34")
        #expect(h.gateway.publicKeys.map(\.0) == ["paypalClientId"] && h.gateway.publicKeys.map(\.1) == ["cid-unit"])
    }

    @Test func aLongUidLeavesOnlyThePublicIDInCustomID() throws {
        let long = String(repeating: "x", count: 100)
        #expect(PayPalOrder.customID(publicID: "p", uid: "u") == "p:u")
        #expect(
            PayPalOrder.customID(publicID: String(repeating: "a", count: 36), uid: long)
                == String(repeating: "a", count: 36))
        #expect(
            PayPalOrder.customID(publicID: String(repeating: "a", count: 36), uid: String(repeating: "x", count: 90))
                .count == 127)
    }

    @Test(arguments: [
        #"{"amount":"1500","recaptcha_token":"pass"}"#, #"{"amount":499,"recaptcha_token":"pass"}"#,
        #"{"amount":1500,"recaptcha_token":"nope"}"#, #"{"amount":1500}"#, "[]",
    ])
    func badInputIs400AndCreatesNothing(body: String) throws {
        let h = try PayPalHarness()
        #expect(clientError { try h.call("createOrder", body: body) } == .badRequest)
        #expect(h.ledger.sessions.isEmpty && h.transport.requests.isEmpty)
    }

    @Test func createFailuresMarkTheSessionFailed() throws {
        let h = try PayPalHarness()
        h.paypal.state.withLock { $0.failNext["/v2/checkout/orders"] = 1 }
        #expect(clientError { try h.createOrder() } == .gatewayUnavailable)
        #expect(h.ledger.sessions.last?.status == .failed)
        h.paypal.state.withLock { $0.echoOverride = "someone-else:user-1" }
        let error = #expect(throws: APIError.self) { try h.createOrder() }
        #expect(
            error?.code.status == 502 && h.ledger.sessions.last?.status == .failed
                && h.ledger.sessions.last?.externalID == nil)
    }

    @Test func captureOfAnApprovedOrderCreditsOnceUnderTheCaptureID() throws {
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 2500)
        h.paypal.approve(id)
        let first = try h.capture(id)
        #expect(first.status == 200 && String(decoding: first.body, as: UTF8.self) == #"{"result":"success"}"#)
        #expect(h.pushedRowIDs.count == 1)
        let session = try #require(h.ledger.sessions.first)
        #expect(h.paypal.state.withLock { $0.captureKeys } == ["capture-\(session.publicID)-1"])
        #expect(h.ledger.rows.map(\.paymentID) == ["CAP\(id)"] && h.ledger.rows.first?.amount == Money(cents: 2500))
        #expect(h.ledger.sessions.first?.status == .paid)
        // Earlier credit: 200 again, no second row, no second capture call.
        let again = try h.capture(id)
        #expect(again.status == 200 && h.pushedRowIDs.isEmpty && h.ledger.rows.count == 1)
        #expect(h.paypal.state.withLock { $0.captureKeys }.count == 1)
    }

    @Test func anotherUsersOrUnknownOrderIs404() throws {
        let h = try PayPalHarness()
        let id = try h.createOrder()
        h.paypal.approve(id)
        let intruder = AuthenticatedUser(uid: "user-2", emailVerified: true, signInProvider: "google.com")
        for (order, caller) in [(id, intruder), ("ORDER-NOPE", h.user)] {
            let error = #expect(throws: APIError.self) { try h.capture(order, as: caller) }
            #expect(error?.code == .notFound)
        }
        #expect(h.ledger.rows.isEmpty && h.paypal.state.withLock { $0.captureKeys }.isEmpty)
    }

    @Test(arguments: [
        ("PENDING", 202), ("DECLINED", 402), ("INSTRUMENT_DECLINED", 402), ("EXPIRED", 409), ("VALUE:99.00", 409),
        ("ALREADY_CAPTURED", 200), ("5XX_AFTER", 200), ("5XX", 200), ("5XX_ALWAYS", 502),
    ])
    func captureAnswers(mode: String, expected: Int) throws {
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 1500)
        h.paypal.approve(id)
        h.paypal.setMode(id, mode)
        let status: Int
        do { status = try h.capture(id).status } catch { status = PayPalHarness.status(error) ?? -1 }
        #expect(status == expected)
        #expect(h.ledger.rows.count == (expected == 200 ? 1 : 0))
        #expect(h.ledger.operatorItems.map(\.reason) == (mode.hasPrefix("VALUE") ? ["amount-mismatch"] : []))
        if mode == "PENDING" {
            #expect(String(decoding: try h.capture(id).body, as: UTF8.self) == #"{"result":"pending"}"#)
        }
    }

    /// DESIGN §1.3: after a lost or 5xx capture answer the order is re-read; captured meanwhile, it is credited
    /// without a second capture call; still APPROVED, the capture is retried under a new request id suffix (a
    /// repeated id would be answered with the first request's outcome); at most three attempts per call.
    @Test(arguments: [
        ("5XX_AFTER", 1, 1), ("5XX", 2, 1), ("5XX_ALWAYS", 3, 0),
    ])
    func aLostOrFailedCaptureAnswerIsReReadBeforeAnyRetry(mode: String, calls: Int, rows: Int) throws {
        let failedCalls = rows == 1 && mode != "5XX_AFTER" ? calls - 1 : calls
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 1500)
        h.paypal.approve(id)
        h.paypal.setMode(id, mode)
        let answer = clientError { try h.capture(id) }
        #expect(answer == (rows == 1 ? nil : .gatewayUnavailable))
        let publicID = try #require(h.ledger.sessions.first?.publicID)
        #expect(h.paypal.state.withLock { $0.captureKeys } == (1...calls).map { "capture-\(publicID)-\($0)" })
        let reads = h.transport.requests.filter { $0.method == "GET" && $0.url.hasSuffix("/v2/checkout/orders/\(id)") }
        #expect(reads.count == failedCalls + 1, "a re-read before the first capture and after each failed one")
        #expect(h.paypal.state.withLock { $0.captures.count } == rows)
        #expect(h.ledger.rows.map(\.paymentID) == (rows == 1 ? ["CAP\(id)"] : []))
        #expect(h.ledger.sessions.first?.status == (rows == 1 ? .paid : .pending))
    }

    /// PayPal answers a repeated `PayPal-Request-Id` with the latest status of that request, and the double does too:
    /// a capture repeated under the same id captures nothing more, even after a refund changed the capture.
    @Test func aRepeatedCaptureRequestIDIsAnsweredWithTheOrderAsItIsNow() throws {
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 1500)
        h.paypal.approve(id)
        #expect(try h.capture(id).status == 200)
        h.paypal.setCaptureStatus("CAP\(id)", "REFUNDED")
        let token = try #require(h.paypal.state.withLock { $0.tokens.first })
        let publicID = try #require(h.ledger.sessions.first?.publicID)
        let replay = try h.paypal.answer(
            HTTPRequest(
                method: "POST", url: "\(FakePayPal.base)/v2/checkout/orders/\(id)/capture",
                headers: [("Authorization", "Bearer \(token)"), ("PayPal-Request-Id", "capture-\(publicID)-1")],
                body: Array("{}".utf8)))
        #expect(replay.status == 200)
        let captures = replay.json?.at("purchase_units")?.arrayValue?.first?.at("payments.captures")?.arrayValue ?? []
        #expect(captures.map { $0["status"]?.stringValue } == ["REFUNDED"])
        #expect(h.paypal.state.withLock { $0.captures.count } == 1)
    }

    @Test func anUnapprovedOrderIs409WithoutACaptureCall() throws {
        let h = try PayPalHarness()
        let id = try h.createOrder()
        let error = #expect(throws: APIError.self) { try h.capture(id) }
        #expect(error?.code == .conflict && h.paypal.state.withLock { $0.captureKeys }.isEmpty)
    }

    @Test func completedWebhookCreditsAfterReReadingTheCapture() throws {
        let h = try PayPalHarness()
        let id = try h.pendingCapture()
        let captureID = "CAP\(id)"
        // The signed payload says COMPLETED but PayPal still says PENDING: nothing is credited.
        let signed = h.paypal.state.withLock { $0.captures[captureID] ?? .null }.setting("status", .string("COMPLETED"))
        #expect(try h.deliver("PAYMENT.CAPTURE.COMPLETED", resource: signed, eventID: "WH-1").status == 200)
        #expect(h.ledger.rows.isEmpty && h.ledger.events["paypal|WH-1"]?.outcome == "pending")
        h.paypal.setCaptureStatus(captureID, "COMPLETED")
        let response = try h.deliver("PAYMENT.CAPTURE.COMPLETED", resource: signed, eventID: "WH-2")
        #expect(response.status == 200 && h.pushedRowIDs.count == 1)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"received":true}"#)
        #expect(h.ledger.rows.map(\.paymentID) == [captureID] && h.ledger.sessions.first?.status == .paid)
        // Duplicate and a later capture call: still one row.
        _ = try h.deliver("PAYMENT.CAPTURE.COMPLETED", resource: signed, eventID: "WH-2")
        #expect(try h.capture(id).status == 200)
        #expect(h.ledger.rows.count == 1 && h.ledger.events.count == 2)
    }

    @Test func completedForAnotherSessionOrAmountIsNotCredited() throws {
        let h = try PayPalHarness()
        let id = try h.pendingCapture()
        let captureID = "CAP\(id)"
        h.paypal.state.withLock { s in
            s.captures[captureID] = s.captures[captureID]?.setting("status", .string("COMPLETED")).setting(
                "custom_id", .string("not-ours"))
        }
        _ = try h.deliver(
            "PAYMENT.CAPTURE.COMPLETED",
            resource: .object([("id", .string(captureID)), ("status", .string("COMPLETED"))]))
        #expect(h.ledger.rows.isEmpty && h.ledger.events.values.first?.outcome == "not-ours")
        let session = try #require(h.ledger.sessions.first)
        h.paypal.state.withLock { s in
            s.captures[captureID] = s.captures[captureID]?.setting("custom_id", .string("\(session.publicID):user-1"))
                .setting("amount", .object([("currency_code", .string("EUR")), ("value", .string("15.00"))]))
        }
        _ = try h.deliver(
            "PAYMENT.CAPTURE.COMPLETED",
            resource: .object([("id", .string(captureID)), ("status", .string("COMPLETED"))]))
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.map(\.reason) == ["non-usd-payment"])
    }

    @Test func refundsAndReversalsBookOneNegativeRowEach() throws {
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 2000)
        h.paypal.approve(id)
        _ = try h.capture(id)
        let captureID = "CAP\(id)"
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED", resource: h.refundResource("REF1", capture: captureID, value: "5.00"),
            eventID: "WH-R1")
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED", resource: h.refundResource("REF1", capture: captureID, value: "5.00"),
            eventID: "WH-R1")
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED", resource: h.refundResource("REF1", capture: captureID, value: "5.00"),
            eventID: "WH-R1b")
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED",
            resource: h.refundResource("REF2", capture: captureID, value: "1.00", status: "PENDING"))
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REVERSED", resource: h.refundResource("REV1", capture: captureID, value: "7.25"))
        #expect(h.ledger.rows.map(\.paymentID) == [captureID, "REF1", "REV1"])
        #expect(h.ledger.rows.map(\.amount.cents) == [2000, -500, -725])
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED", resource: h.refundResource("REF3", capture: captureID, value: "20.00"))
        #expect(h.ledger.rows.count == 3 && h.ledger.operatorItems.map(\.reason) == ["over-refund"])
        _ = try h.deliver(
            "PAYMENT.CAPTURE.REFUNDED",
            resource: h.refundResource("REF4", capture: captureID, value: "1.00", currency: "EUR"))
        #expect(h.ledger.rows.count == 3 && h.ledger.operatorItems.map(\.reason) == ["over-refund", "non-usd-refund"])
    }

    @Test func aRefundBeforeItsPaymentAsksForARetryAndRecordsNothing() throws {
        let h = try PayPalHarness()
        let error = #expect(throws: LedgerError.self) {
            try h.deliver(
                "PAYMENT.CAPTURE.REFUNDED", resource: h.refundResource("REFX", capture: "CAPUNKNOWN", value: "1.00"))
        }
        #expect(error?.kind == .refundTargetMissing && h.ledger.events.isEmpty)
    }

    @Test func deniedClosesTheSessionAndOtherEventsAreRecorded() throws {
        let h = try PayPalHarness()
        let id = try h.pendingCapture()
        h.paypal.setCaptureStatus("CAP\(id)", "DECLINED")
        let denied = h.paypal.state.withLock { $0.captures["CAP\(id)"] ?? .null }
        #expect(try h.deliver("PAYMENT.CAPTURE.DENIED", resource: denied).status == 200)
        #expect(h.ledger.sessions.first?.status == .failed && h.ledger.rows.isEmpty)
        let other = try h.deliver("CHECKOUT.ORDER.APPROVED", resource: h.paypal.order(id), eventID: "WH-OTHER")
        #expect(other.status == 200 && h.ledger.events["paypal|WH-OTHER"]?.outcome == "ignored")
        #expect(h.ledger.events["paypal|WH-OTHER"]?.headers.count == 5)
    }

    @Test func forgedDeliveriesAre401AndRecordNothing() throws {
        let h = try PayPalHarness()
        let body =
            #"{"id":"WH-FORGED","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"CAPX","status":"COMPLETED"}}"#
        var headers = try h.chain.headers(
            body: Array(body.utf8), webhookID: "WH-ID-OTHER", certURL: PayPalHarness.certURL)
        var error = #expect(throws: APIError.self) {
            try h.call("handleWebhookEvents", body: body, headers: headers, anonymous: true)
        }
        #expect(error?.code == .unauthorized)
        headers = try h.chain.headers(
            body: Array(body.utf8), webhookID: "WH-ID-UNIT", certURL: "https://evil.example/cert")
        error = #expect(throws: APIError.self) {
            try h.call("handleWebhookEvents", body: body, headers: headers, anonymous: true)
        }
        #expect(error?.code == .unauthorized)
        error = #expect(throws: APIError.self) { try h.call("handleWebhookEvents", body: body, anonymous: true) }
        #expect(error?.code == .unauthorized && h.ledger.events.isEmpty)
        #expect(!h.transport.requests.contains { $0.url.contains("evil.example") })
    }

    @Test func theTokenIsSharedRefreshedOnceOn401AndBeforeExpiry() throws {
        let h = try PayPalHarness()
        _ = try h.createOrder()
        _ = try h.createOrder()
        #expect(h.paypal.state.withLock { $0.tokenRequests } == 1)
        // PayPal forgets the token: the next call gets 401, refreshes once and succeeds.
        h.paypal.state.withLock { $0.tokens.removeAll() }
        _ = try h.createOrder()
        #expect(h.paypal.state.withLock { $0.tokenRequests } == 2)
        // Shortly before expiry (3600 s, refreshed 120 s early) a new token is fetched without a 401.
        h.clock.advance(3600 - 119)
        let before = h.transport.requests.count
        _ = try h.createOrder()
        #expect(h.paypal.state.withLock { $0.tokenRequests } == 3)
        #expect(h.transport.requests.count == before + 2)
        // A token PayPal keeps refusing: one refresh only, then the failure surfaces.
        h.paypal.state.withLock { $0.expiresIn = 0 }
        h.clock.advance(10_000)
        let refused = FakeTransport { request in
            request.url.hasSuffix("/v1/oauth2/token")
                ? FakeTransport.json(200, #"{"access_token":"x","expires_in":3600}"#)
                : FakeTransport.json(401, #"{"error":"invalid_token"}"#)
        }
        let services = GatewayServices(
            core: CoreConfiguration(), transport: refused, authenticator: FixedAuthenticator(user: h.user),
            recaptcha: PassRecaptcha())
        let config = try PayPalConfiguration(
            ConfigReader([
                "PAYPAL_CLIENT_ID": "c", "PAYPAL_SECRET": "s", "PAYPAL_WEBHOOK_ID": "w", "PAYPAL_CERT_HOSTS": "h",
                "PAYPAL_TRUST_ROOTS": #filePath.replacingOccurrences(
                    of: "PayPal/PayPalGatewayTests.swift", with: "Fixtures/paypal/clientCertTest.crt"),
                "PAYPAL_API_BASE": "https://refusing.test",
            ]))
        let tokens = PayPalTokenProvider(configuration: config, service: services.outbound("p"), clock: { 0 })
        let api = PayPalAPI(configuration: config, service: services.outbound("p"), tokens: tokens)
        #expect(throws: PayPalAPI.Failure.self) { try api.order("X") }
        #expect(refused.requests.filter { $0.url.hasSuffix("/v1/oauth2/token") }.count == 2)
        #expect(refused.requests.count == 4)
    }

    /// An `expires_in` at the edge of Int64 (or negative) must not overflow the refresh time (issue 6, item 1).
    @Test(arguments: [Int64.max, Int64.min, -1])
    func anExtremeTokenLifetimeIsClamped(_ expiresIn: Int64) throws {
        let h = try PayPalHarness()
        h.paypal.state.withLock { $0.expiresIn = expiresIn }
        _ = try h.createOrder()
        _ = try h.createOrder()
        let kept = expiresIn > 0 ? 1 : 2
        #expect(h.paypal.state.withLock { $0.tokenRequests } == kept)
        h.clock.advance(PayPalTokenProvider.maxLifetime)
        _ = try h.createOrder()
        #expect(h.paypal.state.withLock { $0.tokenRequests } == kept + 1)
    }

    @Test func configurationErrorsNameTheVariable() throws {
        for (key, value) in [
            ("PAYPAL_TRUST_ROOTS", "/nonexistent.pem"), ("PAYPAL_CERT_HOSTS", ""), ("PAYPAL_WEBHOOK_ID", ""),
            ("PAYPAL_API_BASE", "https://x/y"),
        ] {
            let error = #expect(throws: ConfigurationError.self) { try PayPalHarness(extra: [key: value]) }
            #expect(error?.variable == key)
        }
    }

    @Test func reconciliationCapturesApprovedOrdersAndClosesDeadOnes() throws {
        let h = try PayPalHarness()
        let logger = Logger(label: "test")
        // APPROVED, captureOrder never came: captured through the same path.
        let approved = try h.createOrder()
        h.paypal.approve(approved)
        var session = try #require(h.ledger.sessions.last)
        #expect(try h.gateway.reconcile(session, ledger: h.ledger, logger: logger) == .credited)
        #expect(h.ledger.rows.map(\.paymentID) == ["CAP\(approved)"])
        // PENDING capture completed later without a webhook: re-read and credited.
        let pending = try h.createOrder()
        h.paypal.approve(pending)
        h.paypal.setMode(pending, "PENDING")
        #expect(try h.capture(pending).status == 202)
        session = try #require(h.ledger.sessions.last)
        #expect(try h.gateway.reconcile(session, ledger: h.ledger, logger: logger) == .unchanged)
        h.paypal.setCaptureStatus("CAP\(pending)", "COMPLETED")
        #expect(try h.gateway.reconcile(session, ledger: h.ledger, logger: logger) == .credited)
        // VOIDED closes as canceled; unknown to PayPal (expired) as expired; not yet approved stays open.
        let voided = try h.createOrder()
        h.paypal.setStatus(voided, "VOIDED")
        #expect(
            try h.gateway.reconcile(try #require(h.ledger.sessions.last), ledger: h.ledger, logger: logger)
                == .closed(.canceled))
        let created = try h.createOrder()
        #expect(
            try h.gateway.reconcile(try #require(h.ledger.sessions.last), ledger: h.ledger, logger: logger)
                == .unchanged)
        h.paypal.state.withLock { _ = $0.orders.removeValue(forKey: created) }
        #expect(
            try h.gateway.reconcile(try #require(h.ledger.sessions.last), ledger: h.ledger, logger: logger)
                == .closed(.expired))
        // A `creating` session (answer lost) is recovered through the create request id.
        let lost = try h.ledger.createSession(
            gateway: "paypal", uid: "user-1", amount: Money(cents: 900), currency: "USD")
        #expect(try h.gateway.reconcile(lost, ledger: h.ledger, logger: logger) == .unchanged)
        #expect(h.ledger.sessions.last?.externalID != nil && h.ledger.sessions.last?.status == .pending)
    }
}

/// A settable clock shared with the gateway under test.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(1_800_000_000)
    var now: Int64 { value.withLock { $0 } }
    func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
}

extension JSONValue {
    /// The members of an object, nil for other kinds.
    var members: [(String, JSONValue)]? {
        if case let .object(members) = self { return members }
        return nil
    }
}

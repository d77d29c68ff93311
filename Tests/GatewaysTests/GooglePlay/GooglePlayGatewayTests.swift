import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

/// Drives the Google Play gateway's routes in process against a fake Google and an in-memory ledger.
final class GooglePlayHarness {
    let google = FakeGooglePlay()
    let transport: FakeTransport
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let router: Router
    /// The Retail push hand-off of the last request `call` made.
    private(set) var lastPush = PushHandoff()

    init() throws {
        transport = google.makeTransport(certs: GooglePlayPushVerifierTests.keys?.certs)
        services = GatewayServices(
            core: CoreConfiguration(), transport: transport,
            authenticator: FixedAuthenticator(
                user: AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")),
            recaptcha: PassRecaptcha())
        let key = try #require(GooglePlayFixtures.serviceKey)
        let gateway = try GooglePlayGateway(
            GatewayContext(config: ConfigReader(GooglePlayFixtures.environment(key: key)), services: services),
            clock: { GooglePlayPushVerifierTests.now })
        var router = Router()
        try router.add(prefix: "googleplay", routes: gateway.routes)
        self.router = router
    }

    func call(_ action: String, body: String, headers: [String: String] = [:], uid: String? = "user-1") throws
        -> APIResponse
    {
        let name = Router.name(prefix: "googleplay", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(method: "POST", route: name, headers: headers, body: Array(body.utf8))
        lastPush = PushHandoff()
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: uid.map { AuthenticatedUser(uid: $0, emailVerified: true, signInProvider: "google.com") },
            push: lastPush)
        return try entry.route.handler(context)
    }

    /// `googleplay-createTransaction` as `uid`.
    func redeem(_ token: String, productID: String = "coins_500", uid: String = "user-1") throws -> APIResponse {
        try call(
            "createTransaction", body: #"{"productId":"\#(productID)","purchaseToken":"\#(token)"}"#, uid: uid)
    }

    /// A Pub/Sub push of `notification` (its members besides `version`, `packageName`, `eventTimeMillis`).
    func push(
        _ notification: (String, JSONValue), messageID: String, packageName: String = GooglePlayFixtures.packageName,
        authorization: String?? = nil
    ) throws -> APIResponse {
        let data = JSONValue.object([
            ("version", .string("1.0")), ("packageName", .string(packageName)),
            ("eventTimeMillis", .string("1800000000000")), notification,
        ])
        let body = JSONValue.object([
            (
                "message",
                .object([
                    ("data", .string(Base64.encode(Array(data.serialized().utf8)))),
                    ("messageId", .string(messageID)), ("publishTime", .string("2027-01-15T08:00:00Z")),
                ])
            ),
            ("subscription", .string("projects/tn/subscriptions/play")),
        ]).serialized()
        let header = try authorization ?? ("Bearer " + GooglePlayPushVerifierTests.token())
        return try call(
            "handleWebhookEvents", body: body, headers: header.map { ["authorization": $0] } ?? [:], uid: nil)
    }

    func void(_ orderID: String, token: String, messageID: String, refundType: Int64 = 1) throws -> APIResponse {
        try push(
            (
                "voidedPurchaseNotification",
                .object([
                    ("purchaseToken", .string(token)), ("orderId", .string(orderID)), ("productType", .int(2)),
                    ("refundType", .int(refundType)),
                ])
            ), messageID: messageID)
    }
}

@Suite struct GooglePlayGatewayTests {
    @Test func aPurchaseIsCreditedOnceUnderItsOrderIdThenConsumed() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-1", productID: "coins_1200")
        let answer = try h.redeem("tok-1", productID: "coins_1200")
        #expect(answer.status == 200 && answer.body == APIResponse.success.body)
        #expect(h.ledger.rows.map(\.paymentID) == ["GPA.tok-1"] && h.ledger.rows.first?.amount == Money(cents: 999))
        #expect(h.ledger.rows.first?.gateway == "gplay" && h.ledger.rows.first?.uid == "user-1")
        #expect(h.ledger.rows.first?.sessionID == nil && h.lastPush.rows.count == 1)
        #expect(h.google.calls == ["get", "consume"] && h.google.purchase("tok-1")?.consumed == true)

        let replay = try h.redeem("tok-1", productID: "coins_1200")
        #expect(replay.status == 200 && h.ledger.rows.count == 1 && h.lastPush.rows.isEmpty)
        #expect(h.google.calls == ["get", "consume", "get"])
    }

    @Test func theQuantityOfAMultiQuantityPurchaseIsCredited() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-q", quantity: 3)
        _ = try h.redeem("tok-q")
        #expect(h.ledger.rows.map(\.amount) == [Money(cents: 1497)])
    }

    @Test func anotherUsersPurchaseIsRefusedUnconsumedAndStaysRedeemableByItsOwner() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-2", uid: "owner")
        h.google.buy("tok-3", uid: nil)
        #expect(clientError { try h.redeem("tok-2", uid: "thief") } == .notFound)
        #expect(clientError { try h.redeem("tok-3") } == .notFound)
        #expect(h.ledger.rows.isEmpty && h.google.calls == ["get", "get"])
        #expect(h.google.purchase("tok-2")?.consumed == false && h.google.purchase("tok-2")?.acknowledged == false)
        #expect(try h.redeem("tok-2", uid: "owner").status == 200)
        #expect(h.ledger.rows.map(\.uid) == ["owner"] && h.google.purchase("tok-2")?.consumed == true)
    }

    @Test func anUnknownProductIs400WithoutAskingGoogle() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-4", productID: "coins_9999")
        #expect(clientError { try h.redeem("tok-4", productID: "coins_9999") } == .badRequest)
        #expect(h.google.calls.isEmpty && h.ledger.rows.isEmpty)
    }

    @Test(arguments: [
        #"{"productId":"coins_500"}"#, #"{"purchaseToken":"t"}"#, #"{"productId":5,"purchaseToken":"t"}"#, "[]",
    ])
    func badInputIs400(body: String) throws {
        let h = try GooglePlayHarness()
        #expect(clientError { try h.call("createTransaction", body: body) } == .badRequest)
        #expect(h.google.calls.isEmpty)
    }

    @Test func aTokenGoogleDoesNotKnowIs400() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-5", productID: "coins_1200")
        #expect(clientError { try h.redeem("nope") } == .badRequest)
        #expect(clientError { try h.redeem("tok-5", productID: "coins_500") } == .badRequest)
        #expect(h.ledger.rows.isEmpty)
    }

    @Test func aPendingPurchaseIsRefusedThenCreditedOnceItCompletes() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-6", state: 2)
        #expect(clientError { try h.redeem("tok-6") } == .conflict)
        #expect(h.ledger.rows.isEmpty && h.google.purchase("tok-6")?.consumed == false)
        h.google.state.withLock { $0.purchases["tok-6"]?.state = 0 }
        #expect(try h.redeem("tok-6").status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == ["GPA.tok-6"] && h.google.purchase("tok-6")?.consumed == true)
    }

    @Test func aCanceledPurchaseCreditsNothing() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-7", state: 1)
        #expect(clientError { try h.redeem("tok-7") } == .conflict)
        #expect(h.ledger.rows.isEmpty && h.google.calls == ["get"])
    }

    @Test func google5xxIs502WritesNothingAndTheSameCallLaterSucceeds() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-8")
        h.google.state.withLock { $0.fault = 503 }
        #expect(clientError { try h.redeem("tok-8") } == .gatewayUnavailable)
        #expect(h.ledger.rows.isEmpty)
        h.google.state.withLock { $0.fault = nil }
        #expect(try h.redeem("tok-8").status == 200)
        #expect(h.ledger.rows.count == 1 && h.google.purchase("tok-8")?.consumed == true)
    }

    @Test func aConsumeFailingAfterTheCreditIs502AndTheRetryConsumesWithoutASecondRow() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-9")
        h.google.state.withLock { $0.failNext["consume"] = 503 }
        #expect(clientError { try h.redeem("tok-9") } == .gatewayUnavailable)
        #expect(h.ledger.rows.count == 1 && h.google.purchase("tok-9")?.consumed == false)
        #expect(try h.redeem("tok-9").status == 200)
        #expect(h.ledger.rows.count == 1 && h.google.purchase("tok-9")?.consumed == true)
        #expect(h.google.calls == ["get", "consume", "get", "consume"])
    }

    @Test func anOrderBookedForAnotherUserIsAnIntegrityErrorAndIsNotConsumed() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-11", orderID: "GPA.shared")
        let other = SettlementFact.Payment(
            id: "GPA.shared", payer: .user(uid: "someone-else"), amount: ReportedMoney(cents: 499, currency: "USD"),
            rule: .reported)
        _ = try Settlement(ledger: h.ledger, gateway: "gplay", logger: Logger(label: "test")).settle([.paid(other)])
        #expect(clientError { try h.redeem("tok-11") } == .internalError)
        #expect(h.ledger.rows.count == 1 && h.google.purchase("tok-11")?.consumed == false)
    }

    @Test func aConsumeRefusedAfterTheCreditAcknowledgesThePurchase() throws {
        let h = try GooglePlayHarness()
        h.google.buy("tok-10")
        h.google.state.withLock { $0.failNext["consume"] = 400 }
        #expect(try h.redeem("tok-10").status == 200)
        #expect(h.google.calls == ["get", "consume", "get", "acknowledge"])
        #expect(h.google.purchase("tok-10")?.acknowledged == true && h.ledger.rows.count == 1)
    }
}

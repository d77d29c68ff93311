import Gateways
import PaymentsCore
import Synchronization
import Testing

/// The Android Publisher calls: URLs, bearer token, error mapping.
@Suite struct GooglePlayAPITests {
    static let base = "https://play.test/androidpublisher/v3/applications/com.tempnumber.app/purchases/products"

    static func api(_ handler: @escaping FakeTransport.Handler) throws -> (GooglePlayAPI, FakeTransport) {
        let transport = FakeTransport { request in
            if request.url == GooglePlayFixtures.tokenURI {
                return FakeTransport.json(200, #"{"access_token":"AT","expires_in":3599,"token_type":"Bearer"}"#)
            }
            return try handler(request)
        }
        let configuration = try GooglePlayFixtures.configuration()
        let service = OutboundService(
            name: "googleplay", transport: transport, breaker: CircuitBreaker(service: "googleplay"), timeout: 10)
        let tokens = GooglePlayTokenProvider(
            account: configuration.serviceAccount, service: service, clock: { 1_800_000_000 })
        return (GooglePlayAPI(configuration: configuration, service: service, tokens: tokens), transport)
    }

    static let purchase = #"""
        {"kind":"androidpublisher#productPurchase","purchaseTimeMillis":"1700000000000","purchaseState":0,
         "consumptionState":0,"developerPayload":"","orderId":"GPA.3391-2233-4455-66778","acknowledgementState":0,
         "purchaseToken":"tok","quantity":1,"regionCode":"US",
         "obfuscatedExternalAccountId":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
        """#

    @Test func getReadsThePurchaseWithTheBearerToken() throws {
        let (api, transport) = try Self.api { _ in FakeTransport.json(200, Self.purchase) }
        let purchase = try api.productPurchase(productID: "coins_500", purchaseToken: "abc.AO-J1O/x y")
        #expect(purchase.orderID == "GPA.3391-2233-4455-66778")
        #expect(purchase.state == .purchased && !purchase.consumed && !purchase.acknowledged)
        #expect(purchase.purchaseTimeMillis == 1_700_000_000_000 && purchase.quantity == 1)
        #expect(GooglePlayAccountBinding.binds(purchase, to: "abc"))
        #expect(!GooglePlayAccountBinding.binds(purchase, to: "abd"))
        let request = try #require(transport.requests.last)
        #expect(request.method == "GET")
        #expect(request.url == Self.base + "/coins_500/tokens/abc.AO-J1O%2Fx%20y")
        #expect(request.header("Authorization") == "Bearer AT")
    }

    @Test func consumeAndAcknowledgePostToTheirVerbs() throws {
        let (api, transport) = try Self.api { _ in HTTPResponse(status: 200) }
        try api.consume(productID: "coins_500", purchaseToken: "tok")
        try api.acknowledge(productID: "coins_500", purchaseToken: "tok")
        let calls = transport.requests.filter { $0.url != GooglePlayFixtures.tokenURI }
        #expect(calls.map(\.method) == ["POST", "POST"])
        #expect(
            calls.map(\.url) == [
                Self.base + "/coins_500/tokens/tok:consume", Self.base + "/coins_500/tokens/tok:acknowledge",
            ])
    }

    @Test(arguments: [
        (404, APIError.Code.badRequest), (400, .badRequest), (410, .badRequest), (403, .gatewayUnavailable),
    ])
    func aRefusalIsMapped(_ status: Int, _ expected: APIError.Code) throws {
        let (api, _) = try Self.api { _ in
            FakeTransport.json(status, #"{"error":{"code":\#(status),"message":"no","status":"NOT_FOUND"}}"#)
        }
        #expect(clientError { try api.productPurchase(productID: "coins_500", purchaseToken: "tok") } == expected)
    }

    @Test func aGoogle5xxIs502AndNothingElse() throws {
        let (api, _) = try Self.api { _ in FakeTransport.json(503, "{}") }
        #expect(clientError { try api.consume(productID: "coins_500", purchaseToken: "tok") } == .gatewayUnavailable)
    }

    @Test func a401RenewsTheTokenOnceAndRepeatsTheCall() throws {
        let calls = Mutex(0)
        let (api, transport) = try Self.api { _ in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            return call == 1
                ? FakeTransport.json(401, #"{"error":{"code":401,"status":"UNAUTHENTICATED"}}"#)
                : FakeTransport.json(200, Self.purchase)
        }
        _ = try api.productPurchase(productID: "coins_500", purchaseToken: "tok")
        #expect(transport.requests.filter { $0.url == GooglePlayFixtures.tokenURI }.count == 2)
        #expect(transport.requests.filter { $0.url != GooglePlayFixtures.tokenURI }.count == 2)
    }

    @Test func anAnswerThatIsNotAPurchaseIs502() throws {
        let (api, _) = try Self.api { _ in FakeTransport.json(200, #"{"kind":"x"}"#) }
        #expect(
            clientError { try api.productPurchase(productID: "coins_500", purchaseToken: "tok") } == .gatewayUnavailable
        )
    }
}

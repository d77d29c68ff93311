import Gateways
import PaymentsCore
import Signing
import Synchronization
import Testing

/// The service-account RS256 assertion and the cached access token.
@Suite struct GooglePlayTokenProviderTests {
    static func provider(_ transport: any HTTPTransport, clock: TestClock) throws -> GooglePlayTokenProvider {
        let service = OutboundService(
            name: "googleplay", transport: transport, breaker: CircuitBreaker(service: "googleplay"), timeout: 10)
        return GooglePlayTokenProvider(
            account: try GooglePlayFixtures.configuration().serviceAccount, service: service, clock: { clock.now })
    }

    /// A token endpoint issuing `T1`, `T2`, … with the given lifetime.
    static func tokenEndpoint(lifetime: Int = 3599) -> FakeTransport {
        let issued = Mutex(0)
        return FakeTransport { _ in
            let number = issued.withLock { n -> Int in
                n += 1
                return n
            }
            return FakeTransport.json(
                200, #"{"access_token":"T\#(number)","expires_in":\#(lifetime),"token_type":"Bearer"}"#)
        }
    }

    @Test func theAssertionIsSignedRS256WithGooglesClaims() throws {
        let account = try GooglePlayFixtures.configuration().serviceAccount
        let compact = try GooglePlayTokenProvider.assertion(account: account, now: 1_800_000_000)
        let jwt = try JSONWebToken.parse(compact)
        #expect(jwt.header["alg"]?.stringValue == "RS256")
        #expect(jwt.header["typ"]?.stringValue == "JWT")
        #expect(jwt.header["kid"]?.stringValue == "kid-sa-1")
        #expect(jwt.payload["iss"]?.stringValue == "play@tn-test.iam.gserviceaccount.com")
        #expect(jwt.payload["scope"]?.stringValue == "https://www.googleapis.com/auth/androidpublisher")
        #expect(jwt.payload["aud"]?.stringValue == GooglePlayFixtures.tokenURI)
        #expect(jwt.payload["iat"]?.int64Value == 1_800_000_000)
        #expect(jwt.payload["exp"]?.int64Value == 1_800_003_600)
        let key = try #require(GooglePlayFixtures.serviceKey).publicKey
        #expect(key.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256))
        let other = try PrivateKey.generateRSA().publicKey
        #expect(!other.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256))
    }

    @Test func theTokenIsExchangedAtTheKeyFilesTokenURIAndCached() throws {
        let clock = TestClock()
        let transport = Self.tokenEndpoint()
        let provider = try Self.provider(transport, clock: clock)
        #expect(try provider.token() == "T1")
        clock.advance(3000)
        #expect(try provider.token() == "T1")
        #expect(transport.requests.count == 1)
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST" && request.url == GooglePlayFixtures.tokenURI)
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let assertion = try JSONWebToken.parse(try #require(request.form["assertion"]))
        #expect(assertion.payload["iat"]?.int64Value == 1_800_000_000)
    }

    @Test func aTokenIsRenewedFiveMinutesBeforeItExpires() throws {
        let clock = TestClock()
        let transport = Self.tokenEndpoint()
        let provider = try Self.provider(transport, clock: clock)
        #expect(try provider.token() == "T1")
        clock.advance(3599 - 301)
        #expect(try provider.token() == "T1")
        clock.advance(2)
        #expect(try provider.token() == "T2")
        #expect(provider.fetchCount == 2)
    }

    @Test func aRejectedTokenIsReplacedOnceAndAnotherThreadsReplacementReused() throws {
        let transport = Self.tokenEndpoint()
        let provider = try Self.provider(transport, clock: TestClock())
        #expect(try provider.token() == "T1")
        #expect(try provider.token(replacing: "T1") == "T2")
        #expect(try provider.token(replacing: "T1") == "T2")
        #expect(provider.fetchCount == 2)
    }

    @Test func aRefusedAssertionIsAnUpstreamFailureAndNothingIsCached() throws {
        let transport = FakeTransport { _ in
            FakeTransport.json(400, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#)
        }
        let provider = try Self.provider(transport, clock: TestClock())
        #expect(clientError { try provider.token() } == .gatewayUnavailable)
        #expect(clientError { try provider.token() } == .gatewayUnavailable)
        #expect(transport.requests.count == 2)
    }

    @Test func aGoogle5xxIs502() throws {
        let transport = FakeTransport { _ in FakeTransport.json(503, "{}") }
        let provider = try Self.provider(transport, clock: TestClock())
        #expect(clientError { try provider.token() } == .gatewayUnavailable)
    }

    /// While one renewal hangs, a caller whose token has not expired keeps it and the first caller ever fails fast.
    @Test func whileOneFetchHangsOthersUseTheValidTokenOrFailFast() throws {
        let clock = TestClock()
        let issued = Mutex(0)
        let transport = GatedTransport { _ in
            let number = issued.withLock { n -> Int in
                n += 1
                return n
            }
            return FakeTransport.json(200, #"{"access_token":"T\#(number)","expires_in":3599}"#)
        }
        let provider = try Self.provider(transport, clock: clock)
        let first = ThreadRun(1) { _ in (try? provider.token()) ?? "error" }
        #expect(transport.waitForCalls(1))
        #expect(clientError { try provider.token() } == .circuitOpen)
        transport.open()
        #expect(first.results(within: 5).first == "T1")

        transport.close()
        clock.advance(3400)
        let renewal = ThreadRun(1) { _ in (try? provider.token()) ?? "error" }
        #expect(transport.waitForCalls(2))
        #expect(try provider.token() == "T1")
        transport.open()
        #expect(renewal.results(within: 5).first == "T2")
        #expect(try provider.token() == "T2")
    }
}

import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// The App Store Server API client and its ES256 bearer token, through a fake transport that checks each request.
@Suite struct AppStoreAPITests {
    static func configuration(key: PrivateKey, apiBase: String = "https://api.storekit.test") throws
        -> AppStoreConfiguration
    {
        let pki = try AppStoreTestPKI.make()
        return try AppStoreConfiguration(
            bundleID: AppStoreTestPKI.bundleID, appAppleID: AppStoreTestPKI.appAppleID, environments: [.production],
            rootCertificates: [pki.root], products: ProductTable(["coins_500": Money(cents: 499)]),
            issuerID: "issuer-uuid",
            keyID: "KEY123ABCD", privateKey: key, apiBase: apiBase)
    }

    static func api(_ transport: FakeTransport, key: PrivateKey, clock: TestClock) throws -> AppStoreAPI {
        let configuration = try configuration(key: key)
        let service = OutboundService(
            name: "appstore", transport: transport, breaker: CircuitBreaker(service: "appstore"), timeout: 10)
        return AppStoreAPI(
            configuration: configuration, service: service,
            tokens: AppStoreTokenProvider(configuration: configuration, clock: { clock.now }))
    }

    @Test func bearerTokenIsAnAppStoreConnectES256JWT() throws {
        let key = try PrivateKey.generateP256()
        let clock = TestClock()
        let provider = AppStoreTokenProvider(configuration: try Self.configuration(key: key), clock: { clock.now })
        let token = try JSONWebToken.parse(try provider.token())
        #expect(
            token.header
                == .object([("alg", .string("ES256")), ("kid", .string("KEY123ABCD")), ("typ", .string("JWT"))]))
        #expect(token.signature.count == 64)
        #expect(
            key.publicKey.verify(signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw))
        let claims = token.payload
        #expect(claims["iss"]?.stringValue == "issuer-uuid")
        #expect(claims["aud"]?.stringValue == "appstoreconnect-v1")
        #expect(claims["bid"]?.stringValue == AppStoreTestPKI.bundleID)
        let iat = try #require(claims["iat"]?.int64Value)
        let exp = try #require(claims["exp"]?.int64Value)
        #expect(iat == clock.now)
        #expect(exp > iat && exp - iat <= 3600)
    }

    @Test func tokenIsCachedUntilNearExpiry() throws {
        let clock = TestClock()
        let provider = AppStoreTokenProvider(
            configuration: try Self.configuration(key: try PrivateKey.generateP256()), clock: { clock.now })
        let first = try provider.token()
        clock.advance(AppStoreTokenProvider.lifetime - AppStoreTokenProvider.refreshMargin - 1)
        #expect(try provider.token() == first)
        #expect(provider.mintCount == 1)
        clock.advance(1)
        let second = try provider.token()
        #expect(second != first)
        #expect(provider.mintCount == 2)
        let exp = try #require(try JSONWebToken.parse(second).payload["exp"]?.int64Value)
        #expect(exp == clock.now + AppStoreTokenProvider.lifetime)
    }

    @Test func lookupSendsTheBearerAndAnswersTheSignedTransaction() throws {
        let key = try PrivateKey.generateP256()
        let transport = FakeTransport { request in
            #expect(request.method == "GET")
            #expect(request.url == "https://api.storekit.test/inApps/v1/transactions/2000000000000042")
            let bearer = try #require(request.header("Authorization"))
            let token = try JSONWebToken.parse(String(bearer.dropFirst("Bearer ".count)))
            #expect(bearer.hasPrefix("Bearer "))
            #expect(
                key.publicKey.verify(
                    signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw))
            return FakeTransport.json(200, #"{"signedTransactionInfo":"a.b.c"}"#)
        }
        let api = try Self.api(transport, key: key, clock: TestClock())
        #expect(try api.signedTransactionInfo(transactionID: "2000000000000042") == "a.b.c")
        #expect(try api.signedTransactionInfo(transactionID: "2000000000000042") == "a.b.c")
        // One token for both calls.
        #expect(Set(transport.requests.compactMap { $0.header("Authorization") }).count == 1)
    }

    @Test func pathIsEscaped() throws {
        let transport = FakeTransport { request in
            #expect(request.url == "https://api.storekit.test/inApps/v1/transactions/..%2Fadmin")
            return FakeTransport.json(404, #"{"errorCode":4040010,"errorMessage":"Transaction id not found."}"#)
        }
        let api = try Self.api(transport, key: try PrivateKey.generateP256(), clock: TestClock())
        #expect(throws: AppStoreAPI.Failure.self) { try api.signedTransactionInfo(transactionID: "../admin") }
    }

    /// The client-facing status an answer becomes.
    static func status(_ answer: HTTPResponse) throws -> Int? {
        let api = try Self.api(FakeTransport { _ in answer }, key: try PrivateKey.generateP256(), clock: TestClock())
        do {
            _ = try api.signedTransactionInfo(transactionID: "1")
            return nil
        } catch let error as APIErrorConvertible {
            return error.apiError.code.status
        } catch let error as APIError {
            return error.code.status
        }
    }

    @Test func answersMapToTheClientContract() throws {
        #expect(try Self.status(FakeTransport.json(404, #"{"errorCode":4040010}"#)) == 400)
        #expect(try Self.status(FakeTransport.json(400, #"{"errorCode":4000006}"#)) == 400)
        #expect(try Self.status(FakeTransport.json(401, "")) == 502)
        #expect(try Self.status(FakeTransport.json(429, #"{"errorCode":4290000}"#)) == 503)
        #expect(try Self.status(FakeTransport.json(500, #"{"errorCode":5000000}"#)) == 502)
        #expect(try Self.status(FakeTransport.json(200, #"{}"#)) == 502)
    }
}

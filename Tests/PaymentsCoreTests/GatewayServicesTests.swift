import PaymentsCore
import Testing

/// Every outbound service, Firebase and reCAPTCHA included, takes its circuit breaker from the services' one table.
@Suite struct GatewayServicesTests {
    private struct Offline: HTTPTransport {
        func send(_ request: HTTPRequest) throws -> HTTPResponse { throw HTTPTransportError(.connection, "offline") }
    }

    /// Keeps the outbound service it was built from, so the test can compare breakers.
    private struct ServiceHolder: Authenticator, RecaptchaChecking {
        let service: OutboundService
        func authenticate(authorizationHeader: String?) throws(APIError) -> AuthenticatedUser {
            throw APIError(.unauthorized, "no")
        }
        func check(token: String?, platform: String, expectedActions: [String]) throws(APIError) {}
    }

    @Test func firebaseAndRecaptchaBreakersComeFromTheTable() throws {
        let services = GatewayServices(
            core: CoreConfiguration(httpTimeoutSeconds: 4), transport: Offline(),
            authenticator: { ServiceHolder(service: $0) }, recaptcha: { ServiceHolder(service: $0) })
        let firebase = try #require(services.authenticator as? ServiceHolder).service
        let recaptcha = try #require(services.recaptcha as? ServiceHolder).service
        #expect(firebase.name == "firebase" && recaptcha.name == "recaptcha")
        #expect(firebase.breaker === services.outbound("firebase").breaker)
        #expect(recaptcha.breaker === services.outbound("recaptcha").breaker)
        #expect(firebase.timeout == 4 && recaptcha.timeout == 4)
        #expect(services.circuitStates.map(\.0) == ["firebase", "recaptcha"])

        // Failures through the verifier's own service show on the table's state.
        for _ in 0..<5 { _ = try? recaptcha.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:9/verify")) }
        _ = services.outbound("stripe")
        let states = Dictionary(uniqueKeysWithValues: services.circuitStates)
        #expect(states == ["firebase": .closed, "recaptcha": .open, "stripe": .closed])
    }
}

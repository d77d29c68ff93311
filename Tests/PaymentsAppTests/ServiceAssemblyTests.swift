import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

@testable import PaymentsApp

/// The assembled services: every outbound circuit, Firebase and reCAPTCHA included, is on the metrics page.
@Suite struct ServiceAssemblyTests {
    private struct Offline: HTTPTransport {
        func send(_ request: HTTPRequest) throws -> HTTPResponse { throw HTTPTransportError(.connection, "offline") }
    }

    static let config = ConfigReader([
        "PUBLIC_BASE_URL": "https://pay.test/api", "RETAIL_API_URL": "http://127.0.0.1:9/retail",
        "RETAIL_API_KEY": "k", "DB_SOCKET": "/nonexistent.sock", "DB_USER": "u", "DB_NAME": "d",
        "FIREBASE_PROJECT_ID": "demo", "FIREBASE_CERTS_URL": "http://127.0.0.1:9/certs",
        "RECAPTCHA_ENABLED": "true", "RECAPTCHA_SECRET": "s", "RECAPTCHA_VERIFY_URL": "http://127.0.0.1:9/verify",
    ])

    /// `payments_circuit_state` by service, from the metrics route answered in process.
    func circuits(_ assembly: ServiceAssembly) throws -> [String: Double] {
        let name = Router.name(prefix: "", action: "metrics")
        let entry = try #require(assembly.router.resolve(method: "GET", name: name))
        let context = RequestContext(
            request: APIRequest(method: "GET", route: name, headers: [:], body: []), logger: Logger(label: "test"),
            ledger: InMemoryLedger(), services: assembly.services)
        let page = String(decoding: try entry.route.handler(context).body, as: UTF8.self)
        let prefix = "payments_circuit_state{service=\""
        var states: [String: Double] = [:]
        for line in page.split(separator: "\n") where line.hasPrefix(prefix) {
            let parts = line.dropFirst(prefix.count).split(separator: "\"")
            states[String(parts[0])] = Double(parts[1].dropFirst(2))
        }
        return states
    }

    @Test func firebaseAndRecaptchaCircuitsAreOnTheMetricsPage() throws {
        let assembly = try ServiceAssembly(configuration: Self.config, transport: Offline())
        let closed = try circuits(assembly)
        #expect(closed["firebase"] == 0 && closed["recaptcha"] == 0 && closed["retail"] == 0, "\(closed)")

        // Five failed verifications through the assembled reCAPTCHA verifier open the circuit the page lists.
        for _ in 0..<5 {
            #expect(throws: APIError.self) {
                try assembly.services.recaptcha.check(token: "t", platform: "web", expectedActions: [])
            }
        }
        let opened = try circuits(assembly)
        #expect(opened["recaptcha"] == 2 && opened["firebase"] == 0, "\(opened)")
    }
}

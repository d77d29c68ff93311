import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

/// Drives a hosted-form gateway (Payeer, Anypay) in process: its routes through a router, an in-memory ledger, and
/// no outbound transport (these gateways make no call).
final class FormGatewayHarness {
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let router: Router
    let prefix: String
    let user = AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")

    init(_ registration: GatewayRegistration, config: [String: String]) throws {
        services = GatewayServices(
            core: CoreConfiguration(), transport: FakeTransport { _ in FakeTransport.json(500, "{}") },
            authenticator: FixedAuthenticator(user: user), recaptcha: PassRecaptcha())
        let gateway = try registration.make(GatewayContext(config: ConfigReader(config), services: services))
        var router = Router()
        try router.add(prefix: registration.prefix, routes: gateway.routes)
        self.router = router
        prefix = registration.prefix
    }

    /// Calls `<prefix>-<action>`; a webhook passes `body` as the form body (POST) or the query string (GET).
    func call(
        _ action: String, method: String = "POST", body: String, remote: String = "127.0.0.1", asUser: Bool = true
    ) throws -> APIResponse {
        let name = Router.name(prefix: prefix, action: action)
        let entry = try #require(router.resolve(method: method, name: name))
        let request = APIRequest(
            method: method, route: name, query: method == "GET" ? APIRequest.parseQuery(body) : [:],
            body: method == "GET" ? [] : Array(body.utf8), remoteAddress: remote)
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: asUser ? user : nil)
        return try entry.route.handler(context)
    }

    /// A webhook delivery's answer: status and text body, errors mapped as the pipeline maps them.
    func deliver(_ fields: [(String, String)], method: String = "POST", remote: String = "127.0.0.1") -> (Int, String) {
        do {
            let response = try call(
                "handleWebhookEvents", method: method, body: FormEncoding.encode(fields), remote: remote,
                asUser: false)
            return (response.status, String(decoding: response.body, as: UTF8.self))
        } catch {
            let mapped = ErrorMapping.apiError(for: error).0
            return (mapped.code.status, mapped.code.name)
        }
    }

    /// The client route's answer as JSON; fails the test unless it is 200.
    func create(_ action: String, _ body: String) throws -> JSONValue {
        let response = try call(action, body: body)
        try #require(response.status == 200)
        return try JSONValue.parse(response.body)
    }

    /// Uppercase or lowercase hex SHA-256 of the values joined with `:` (Payeer's and Anypay's rule).
    static func sha256(_ values: [String]) -> String {
        Hex.encode(Digest.sha256(Array(values.joined(separator: ":").utf8)))
    }
}

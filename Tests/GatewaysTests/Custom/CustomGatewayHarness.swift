import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

/// Drives the routes of the operator-configured gateway `acme` in process, built through `GatewayRegistry` exactly as
/// the responder builds it, against an in-memory ledger.
final class CustomGatewayHarness {
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let router: Router
    let configuration: CustomGatewayConfiguration
    let user = AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")

    init(scheme: String = "sha256", _ extra: [String: String] = [:]) throws {
        services = GatewayServices(
            core: CoreConfiguration(), transport: FakeTransport { _ in throw ClientFailure() },
            authenticator: FixedAuthenticator(user: user), recaptcha: PassRecaptcha())
        let config = ConfigReader(CustomFixtures.environment(scheme: scheme, extra))
        configuration = try CustomFixtures.configuration(scheme: scheme, extra)
        var router = Router()
        for registration in try GatewayRegistry.enabled(in: config) where registration.ledgerID == "acme" {
            let gateway = try registration.make(GatewayContext(config: config, services: services))
            try router.add(prefix: registration.prefix, routes: gateway.routes)
        }
        self.router = router
    }

    struct ClientFailure: Error {}

    func call(
        _ action: String, body: [UInt8], headers: [String: String] = [:], remote: String = "127.0.0.1",
        asUser: Bool = true
    ) throws -> APIResponse {
        let name = Router.name(prefix: "acme", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(method: "POST", route: name, headers: headers, body: body, remoteAddress: remote)
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: asUser ? user : nil, push: PushHandoff())
        return try entry.route.handler(context)
    }

    /// Creates a session through the route; returns the answer.
    func create(_ body: String = #"{"amount":1000}"#) throws -> JSONValue {
        let response = try call("createPayment", body: Array(body.utf8))
        #expect(response.status == 200)
        return try JSONValue.parse(response.body)
    }

    /// A notification in the default field layout.
    static func body(
        event: String, session: String, status: String = "paid", payment: String = "pay_1", amount: Int64? = 1000,
        currency: String = "usd", refund: (id: String, amount: Int64)? = nil
    ) -> [UInt8] {
        var data: [(String, JSONValue)] = [
            ("id", .string(payment)), ("reference", .string(session)), ("currency", .string(currency)),
            ("status", .string(status)),
        ]
        if let amount { data.append(("amount", .int(amount))) }
        if let refund {
            data.append(("refund_id", .string(refund.id)))
            data.append(("refund_amount", .int(refund.amount)))
        }
        return Array(JSONValue.object([("id", .string(event)), ("data", .object(data))]).serialized().utf8)
    }

    /// Delivers `body` signed with the configured secret (or `secret`) under the gateway's scheme.
    func deliver(
        _ body: [UInt8], secret: String? = nil, webhookID: String = "msg_1", timestamp: Int64? = nil,
        remote: String = "127.0.0.1", extraHeaders: [String: String] = [:]
    ) throws -> APIResponse {
        var signature = configuration.signature
        if let secret {
            signature = try CustomWebhookSignature(scheme: signature.scheme, secrets: [Secret(secret)])
        }
        var headers = extraHeaders
        for (name, value) in signature.headers(
            body: body, webhookID: webhookID, timestamp: timestamp ?? services.now)
        {
            headers[name.lowercased()] = value
        }
        return try call("handleWebhookEvents", body: body, headers: headers, remote: remote, asUser: false)
    }
}

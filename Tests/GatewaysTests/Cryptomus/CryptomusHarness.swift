import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// Drives the Cryptomus gateway's routes in process against a fake Cryptomus and an in-memory ledger.
final class CryptomusHarness {
    let cryptomus = FakeCryptomus()
    let transport: FakeTransport
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let gateway: CryptomusGateway
    let router: Router
    let user = AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")
    /// The Retail push hand-off of the last request `call` made.
    private(set) var lastPush = PushHandoff()
    /// Ids of the ledger rows the last request handed to the Retail push.
    var pushedRowIDs: [Int64] { lastPush.rows.map(\.id) }

    init(_ extra: [String: String] = [:]) throws {
        transport = cryptomus.makeTransport()
        services = GatewayServices(
            core: CoreConfiguration(), transport: transport, authenticator: FixedAuthenticator(user: user),
            recaptcha: PassRecaptcha())
        var values = [
            "CRYPTOMUS_MERCHANT_ID": FakeCryptomus.merchant, "CRYPTOMUS_PAYMENT_KEY": FakeCryptomus.key,
            "CRYPTOMUS_RETURN_ORIGINS": "https://shop.example, https://app.example:8443",
            "CRYPTOMUS_API_BASE": FakeCryptomus.base,
        ]
        values.merge(extra) { _, new in new }
        gateway = try CryptomusGateway(GatewayContext(config: ConfigReader(values), services: services))
        var router = Router()
        try router.add(prefix: "cryptomus", routes: gateway.routes)
        self.router = router
    }

    func call(
        _ action: String, body: String, remote: String = "127.0.0.1", headers: [String: String] = [:],
        asUser: Bool = true
    )
        throws -> APIResponse
    {
        let name = Router.name(prefix: "cryptomus", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(
            method: "POST", route: name, headers: headers, body: Array(body.utf8), remoteAddress: remote)
        lastPush = PushHandoff()
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: asUser ? user : nil, push: lastPush)
        return try entry.route.handler(context)
    }

    /// Creates an invoice through the route; returns its uuid.
    @discardableResult
    func create(amount: Int = 1500) throws -> String {
        let response = try call(
            "createPayment",
            body:
                #"{"amount":\#(amount),"url_return":"https://shop.example/back","url_success":"https://shop.example/ok"}"#
        )
        #expect(response.status == 200)
        let url = try #require(try JSONValue.parse(response.body)["url"]?.stringValue)
        return String(try #require(url.split(separator: "/").last))
    }

    /// The webhook body Cryptomus would send for the invoice's current state, overridden by `status` and `paidUSD`.
    ///
    /// The signature is computed independently of the code under test: compact JSON with every `/` escaped
    /// (Badiboy/pyCryptomusAPI's method), which equals PHP's output for these control-character-free strings.
    func webhookBody(
        _ uuid: String, status: String, paidUSD: String? = nil, isFinal: Bool = true, key: String = FakeCryptomus.key
    )
        -> String
    {
        let invoice = cryptomus.invoice(uuid)
        let fields = JSONValue.object([
            ("type", .string("payment")), ("uuid", .string(uuid)), ("order_id", invoice["order_id"] ?? .null),
            ("amount", invoice["amount"] ?? .null), ("payment_amount", .string("15.00000000")),
            ("payment_amount_usd", paidUSD.map { .string($0) } ?? invoice["payment_amount_usd"] ?? .null),
            ("merchant_amount", .string("14.70")), ("commission", .string("0.30")), ("is_final", .bool(isFinal)),
            ("status", .string(status)), ("from", .null), ("wallet_address_uuid", .null), ("network", .string("tron")),
            ("currency", .string("USD")), ("payer_currency", .string("USDT")),
            ("additional_data", .string("заказ/42 «тест»")),
            ("txid", .string("abc123")),
        ])
        let signed = fields.serialized().replacingOccurrences(of: "/", with: "\\/")
        let sign = CryptomusSignature(paymentKey: Secret(key)).sign(Array(signed.utf8))
        return fields.setting("sign", .string(sign)).serialized()
    }

    func deliver(
        _ uuid: String, status: String, paidUSD: String? = nil, isFinal: Bool = true, key: String = FakeCryptomus.key,
        remote: String = "127.0.0.1"
    ) throws -> APIResponse {
        try call(
            "handleWebhookEvents",
            body: webhookBody(uuid, status: status, paidUSD: paidUSD, isFinal: isFinal, key: key),
            remote: remote, asUser: false)
    }

    /// Marks the invoice paid at Cryptomus and delivers the matching webhook.
    func pay(_ uuid: String, status: String = "paid", paidUSD: String) throws -> APIResponse {
        cryptomus.set(uuid, status: status, paidUSD: paidUSD)
        return try deliver(uuid, status: status, paidUSD: paidUSD)
    }

    func reconcile(_ sessionIndex: Int = 0) throws -> ReconcileResult {
        try gateway.reconcile(ledger.sessions[sessionIndex], ledger: ledger, logger: Logger(label: "test"))
    }
}

/// The status a route's answer or failure reaches the client with, through the pipeline's own error mapping.
func statusOf(_ body: () throws -> APIResponse) -> Int {
    do {
        return try body().status
    } catch {
        return ErrorMapping.apiError(for: error).0.code.status
    }
}

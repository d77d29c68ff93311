import Foundation
import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Synchronization
import Testing

/// Drives the App Store gateway's routes in process: a test Apple PKI signs transactions and notifications, a fake
/// App Store Server API answers lookups from what the test stored, and the ledger is in memory.
final class AppStoreHarness: Sendable {
    static let apiBase = "https://api.storekit.test"

    /// The fake Server API's state: signed transactions by id, and whether it fails with 500.
    fileprivate struct ServerState {
        var signed: [String: String] = [:]
        var failing = false
    }

    fileprivate final class Server: Sendable {
        let state = Mutex(ServerState())
    }

    let pki: AppStoreTestPKI
    let transport: FakeTransport
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let gateway: AppStoreGateway
    let router: Router
    fileprivate let server = Server()
    private let counter = Mutex<Int64>(2_000_000_000_000_000)

    init() throws {
        let pki = try AppStoreTestPKI.make()
        self.pki = pki
        let server = self.server
        transport = FakeTransport { request in
            let id = String(request.url.split(separator: "/").last ?? "")
            let (failing, signed) = server.state.withLock { ($0.failing, $0.signed[id]) }
            if failing { return FakeTransport.json(500, #"{"errorCode":5000000}"#) }
            guard let signed else { return FakeTransport.json(404, #"{"errorCode":4040010}"#) }
            return FakeTransport.json(200, #"{"signedTransactionInfo":"\#(signed)"}"#)
        }
        services = GatewayServices(
            core: CoreConfiguration(), transport: transport,
            authenticator: FixedAuthenticator(user: Self.user("user-1")), recaptcha: PassRecaptcha())
        let configuration = try AppStoreConfiguration(
            bundleID: AppStoreTestPKI.bundleID, appAppleID: AppStoreTestPKI.appAppleID, environments: [.sandbox],
            rootCertificates: [pki.root],
            products: ProductTable(["coins_500": Money(cents: 499), "coins_1200": Money(cents: 999)]),
            issuerID: "issuer-uuid", keyID: "KEY123ABCD", privateKey: try PrivateKey.generateP256(),
            apiBase: Self.apiBase)
        gateway = AppStoreGateway(configuration: configuration, services: services)
        var router = Router()
        try router.add(prefix: "appstore", routes: gateway.routes)
        self.router = router
    }

    static func user(_ uid: String) -> AuthenticatedUser {
        AuthenticatedUser(uid: uid, emailVerified: true, signInProvider: "apple.com")
    }

    /// A fresh transaction id.
    func nextID() -> String {
        counter.withLock {
            $0 += 1
            return String($0)
        }
    }

    /// A purchase signed by the PKI and known to the fake Server API; `changes` edits the payload first.
    func purchase(
        uid: String = "user-1", productID: String = "coins_500", revoked: Bool = false,
        _ changes: [(String, JSONValue)] = []
    ) throws -> (id: String, signed: String) {
        let id = nextID()
        var payload = AppStoreTestPKI.transaction(id: id, productID: productID, uid: uid, revoked: revoked)
        for (key, value) in changes { payload = payload.setting(key, value) }
        let signed = try pki.sign(payload)
        server.state.withLock { $0.signed[id] = signed }
        return (id, signed)
    }

    func setServerFailing(_ failing: Bool) { server.state.withLock { $0.failing = failing } }

    func call(_ action: String, body: JSONValue, uid: String? = "user-1") throws -> APIResponse {
        let name = Router.name(prefix: "appstore", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(
            method: "POST", route: name, headers: [:], body: Array(body.serialized().utf8), remoteAddress: "127.0.0.1")
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: uid.map(Self.user))
        return try entry.route.handler(context)
    }

    func redeem(_ signed: String, uid: String = "user-1") throws -> APIResponse {
        try call("createTransaction", body: .object([("signedTransaction", .string(signed))]), uid: uid)
    }

    func redeem(transactionID: String, uid: String = "user-1") throws -> APIResponse {
        try call("createTransaction", body: .object([("transactionId", .string(transactionID))]), uid: uid)
    }

    /// Delivers a V2 notification of `type` about transaction `id` (re-signed now, as Apple does), revoked for
    /// `REFUND`; `changes` edit the nested transaction, `signer` signs the notification.
    func notify(
        _ type: String, id: String?, uuid: String = UUID().uuidString.lowercased(), uid: String = "user-1",
        changes: [(String, JSONValue)] = [], signer: AppStoreTestPKI? = nil
    ) throws -> APIResponse {
        var info: String?
        if let id {
            var payload = AppStoreTestPKI.transaction(id: id, uid: uid, revoked: type == "REFUND")
            for (key, value) in changes { payload = payload.setting(key, value) }
            info = try pki.sign(payload)
        }
        let notification = AppStoreTestPKI.notification(type: type, uuid: uuid, signedTransaction: info)
        let signed = try (signer ?? pki).sign(notification)
        return try call("handleWebhookEvents", body: .object([("signedPayload", .string(signed))]), uid: nil)
    }

    func row(_ paymentID: String) -> StoredLedgerEntry? { ledger.rows.first { $0.paymentID == paymentID } }
}

extension APIResponse {
    var json: JSONValue? { try? JSONValue.parse(body) }
}

extension AppStoreHarness {
    /// Apple refunds purchase `id`: the Server API answers it revoked from now on.
    func revokeAtServer(_ id: String, uid: String = "user-1") throws {
        let signed = try pki.sign(AppStoreTestPKI.transaction(id: id, uid: uid, revoked: true))
        server.state.withLock { $0.signed[id] = signed }
    }
}

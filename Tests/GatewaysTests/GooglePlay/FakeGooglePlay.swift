import Foundation
import Gateways
import PaymentsCore
import Signing
import Synchronization

/// An in-process Google for the Play gateway's tests: the token endpoint, the OIDC certificates and
/// `purchases.products` get / `:consume` / `:acknowledge`, over purchases the test sets up.
final class FakeGooglePlay: Sendable {
    struct Purchase: Sendable {
        var productID: String
        var orderID: String
        var accountID: String?
        /// `purchaseState`: 0 purchased, 1 canceled, 2 pending.
        var state: Int = 0
        var consumed = false
        var acknowledged = false
        var quantity: Int64 = 1
    }

    struct State: Sendable {
        var purchases: [String: Purchase] = [:]
        /// While set, every Android Publisher call answers this status.
        var fault: Int?
        /// The next call of a verb answers this status and does nothing.
        var failNext: [String: Int] = [:]
        var calls: [String] = []
    }

    static let publisher = "https://play.test/androidpublisher/v3/applications/"
    let state = Mutex(State())

    /// Adds a purchase of `productID` bound to `uid` (its hex SHA-256) and returns its token.
    @discardableResult
    func buy(
        _ token: String, productID: String = "coins_500", uid: String? = "user-1", orderID: String? = nil,
        state purchaseState: Int = 0, quantity: Int64 = 1
    ) -> String {
        let purchase = Purchase(
            productID: productID, orderID: orderID ?? "GPA.\(token)",
            accountID: uid.map { GooglePlayAccountBinding.obfuscatedAccountID(uid: $0) }, state: purchaseState,
            quantity: quantity)
        state.withLock { $0.purchases[token] = purchase }
        return token
    }

    func purchase(_ token: String) -> Purchase? { state.withLock { $0.purchases[token] } }

    /// The Android Publisher calls made, by verb (`get`, `consume`, `acknowledge`).
    var calls: [String] { state.withLock { $0.calls } }

    func makeTransport(certs: FakeTransport?) -> FakeTransport {
        FakeTransport { [self] request in
            if request.url == GooglePlayFixtures.tokenURI {
                return FakeTransport.json(200, #"{"access_token":"AT","expires_in":3599,"token_type":"Bearer"}"#)
            }
            if request.url == "https://oidc.test/certs", let certs { return try certs.send(request) }
            return answer(request)
        }
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        let prefix = Self.publisher + GooglePlayFixtures.packageName + "/purchases/products/"
        guard request.url.hasPrefix(prefix) else { return FakeTransport.json(404, "{}") }
        let parts = request.url.dropFirst(prefix.count).split(separator: "/").map(String.init)
        guard parts.count == 3, parts[1] == "tokens" else { return FakeTransport.json(404, "{}") }
        var token = parts[2].removingPercentEncoding ?? parts[2]
        var verb = "get"
        for suffix in [":consume", ":acknowledge"] where token.hasSuffix(suffix) {
            token = String(token.dropLast(suffix.count))
            verb = String(suffix.dropFirst())
        }
        return state.withLock { state -> HTTPResponse in
            if let fault = state.fault { return Self.error(fault, "UNAVAILABLE") }
            state.calls.append(verb)
            if let status = state.failNext.removeValue(forKey: verb) { return Self.error(status, "INJECTED") }
            guard var purchase = state.purchases[token], purchase.productID == parts[0] else {
                return Self.error(404, "NOT_FOUND")
            }
            switch verb {
            case "consume":
                guard purchase.state == 0, !purchase.consumed else { return Self.error(400, "FAILED_PRECONDITION") }
                purchase.consumed = true
                purchase.acknowledged = true
            case "acknowledge":
                guard purchase.state == 0, !purchase.acknowledged else {
                    return Self.error(400, "FAILED_PRECONDITION")
                }
                purchase.acknowledged = true
            default:
                return FakeTransport.json(200, Self.resource(purchase, token: token).serialized())
            }
            state.purchases[token] = purchase
            return HTTPResponse(status: 200)
        }
    }

    /// The `ProductPurchase` as Google answers it (no `productId`, as lookups may omit it).
    static func resource(_ purchase: Purchase, token: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string("androidpublisher#productPurchase")), ("purchaseTimeMillis", .string("1700000000000")),
            ("purchaseState", .int(Int64(purchase.state))), ("consumptionState", .int(purchase.consumed ? 1 : 0)),
            ("orderId", .string(purchase.orderID)), ("acknowledgementState", .int(purchase.acknowledged ? 1 : 0)),
            ("purchaseToken", .string(token)), ("quantity", .int(purchase.quantity)),
        ]
        if let account = purchase.accountID { members.append(("obfuscatedExternalAccountId", .string(account))) }
        return .object(members)
    }

    static func error(_ status: Int, _ name: String) -> HTTPResponse {
        FakeTransport.json(status, #"{"error":{"code":\#(status),"message":"fake","status":"\#(name)"}}"#)
    }
}

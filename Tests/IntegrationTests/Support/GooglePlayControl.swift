import Foundation
import PaymentsCore
import Testing

/// The sandbox's Google side (`/control/googleplay/…`) and the backend's Google Play routes.
struct GooglePlayControl {
    let stack: Stack

    private func control(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let url = stack.env.sandboxURL + "/control/googleplay/" + path
        let result = try body.map { try HTTP.postJSON(url, $0) } ?? HTTP.send(method, url)
        guard (200..<300).contains(result.status), let json = result.json else {
            throw SandboxError(description: "sandbox googleplay \(path) answered \(result)")
        }
        return json
    }

    /// A purchase of `productID` bound to `uid` (or to an explicit account id); answers its token and order id.
    func buy(
        _ productID: String = "coins_500", uid: String?, accountID: String? = nil, state: String = "purchased",
        packageName: String? = nil
    ) throws -> (token: String, orderID: String) {
        var body: [(String, JSONValue)] = [("productId", .string(productID)), ("state", .string(state))]
        if let uid { body.append(("uid", .string(uid))) }
        if let accountID { body.append(("obfuscatedExternalAccountId", .string(accountID))) }
        if let packageName { body.append(("packageName", .string(packageName))) }
        let answer = try control("POST", "purchases", .object(body))
        return (
            try #require(answer["purchaseToken"]?.stringValue), try #require(answer["orderId"]?.stringValue)
        )
    }

    func purchase(_ token: String) throws -> JSONValue { try control("GET", "purchases/\(token)") }

    func setState(_ token: String, _ state: String) throws {
        _ = try control("POST", "purchases/\(token)", .object([("state", .string(state))]))
    }

    /// Makes every Android Publisher call answer `status` (0 clears it).
    func fault(_ status: Int64) throws {
        _ = try control("POST", "fault", .object([("status", .int(status))]))
    }

    /// Sends one push through the sandbox; answers the backend's status and the push's `messageId`.
    @discardableResult
    func notify(_ members: [(String, JSONValue)]) throws -> (status: Int64, messageID: String) {
        let answer = try control("POST", "notify", .object(members))
        return (
            try #require(answer["status"]?.int64Value, "\(answer)"),
            try #require(answer["messageId"]?.stringValue, "\(answer)")
        )
    }

    /// `googleplay-createTransaction` through nginx.
    func redeem(_ token: String, productID: String = "coins_500", idToken: String) throws -> HTTPResult {
        try stack.api.post(
            "googleplay-createTransaction",
            .object([("productId", .string(productID)), ("purchaseToken", .string(token))]), token: idToken)
    }
}

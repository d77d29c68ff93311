import PaymentsCore

/// One one-time product purchase the Android Publisher emulator knows, by its purchase token.
struct GooglePlaySandboxPurchase: Sendable {
    /// `purchaseState` values (0 purchased, 1 canceled, 2 pending).
    enum State: String, Sendable {
        case purchased, canceled, pending

        var code: Int {
            switch self {
            case .purchased: return 0
            case .canceled: return 1
            case .pending: return 2
            }
        }
    }

    let purchaseToken: String
    let packageName: String
    let productID: String
    let orderID: String
    let obfuscatedAccountID: String?
    let purchaseTimeMillis: Int64
    var state: State
    var consumed = false
    var acknowledged = false

    /// The `ProductPurchase` resource `purchases.products.get` answers; `productId` is omitted, as Google's lookups
    /// may omit it, so the backend must take the product from the request.
    var resource: JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string("androidpublisher#productPurchase")),
            ("purchaseTimeMillis", .string(String(purchaseTimeMillis))),
            ("purchaseState", .int(state.code)),
            ("consumptionState", .int(consumed ? 1 : 0)),
            ("developerPayload", .string("")),
            ("orderId", .string(orderID)),
            ("acknowledgementState", .int(acknowledged ? 1 : 0)),
            ("purchaseToken", .string(purchaseToken)),
            ("quantity", .int(1)),
            ("regionCode", .string("US")),
        ]
        if let obfuscatedAccountID { members.append(("obfuscatedExternalAccountId", .string(obfuscatedAccountID))) }
        return .object(members)
    }

    /// What the control endpoints show: the resource plus the product and package.
    var summary: JSONValue {
        resource.merging(
            .object([
                ("productId", .string(productID)), ("packageName", .string(packageName)),
                ("state", .string(state.rawValue)),
            ]))
    }
}

import PaymentsCore

/// A one-time product purchase as `purchases.products.get` answers it (the `ProductPurchase` resource). See
/// https://developers.google.com/android-publisher/api-ref/rest/v3/purchases.products#ProductPurchase
public struct GooglePlayProductPurchase: Sendable, Equatable {
    /// `purchaseState`.
    public enum State: Sendable, Equatable {
        /// 0: paid; the only state that credits.
        case purchased
        /// 1: cancelled (a pending purchase abandoned, or a refund).
        case canceled
        /// 2: pending (cash and other delayed payment methods); it may still complete.
        case pending
        /// A value Google has not documented, kept as sent.
        case other(Int64)

        init(_ raw: Int64) {
            switch raw {
            case 0: self = .purchased
            case 1: self = .canceled
            case 2: self = .pending
            default: self = .other(raw)
            }
        }
    }

    /// `orderId` (`GPA.1234-5678-9012-34567`): the ledger's `payment_id` for a Play purchase (DESIGN §5). Absent
    /// for some test purchases.
    public let orderID: String?
    public let state: State
    /// `consumptionState`: true once consumed.
    public let consumed: Bool
    /// `acknowledgementState`: true once acknowledged.
    public let acknowledged: Bool
    /// `obfuscatedExternalAccountId`: what the app set with `setObfuscatedAccountId`, here the hex SHA-256 of the
    /// Firebase uid (`GooglePlayAccountBinding`).
    public let obfuscatedExternalAccountID: String?
    /// `productId`; lookups may omit it, so the product the client named is authoritative.
    public let productID: String?
    /// `purchaseType`: absent for real purchases; 0 test (licence tester), 1 promo, 2 rewarded.
    public let purchaseType: Int64?
    /// `quantity` (absent means 1).
    public let quantity: Int64
    /// `purchaseTimeMillis`.
    public let purchaseTimeMillis: Int64?
    /// `regionCode` (ISO 3166-1 alpha-2).
    public let regionCode: String?

    /// Reads the resource; nil when `purchaseState` is missing or a present member has the wrong type.
    public init?(_ json: JSONValue) {
        guard case .object = json, let state = Self.integer(json["purchaseState"]) else { return nil }
        self.state = State(state)
        consumed = Self.integer(json["consumptionState"]) == 1
        acknowledged = Self.integer(json["acknowledgementState"]) == 1
        orderID = json["orderId"]?.stringValue
        obfuscatedExternalAccountID = json["obfuscatedExternalAccountId"]?.stringValue
        productID = json["productId"]?.stringValue
        purchaseType = Self.integer(json["purchaseType"])
        quantity = Self.integer(json["quantity"]) ?? 1
        purchaseTimeMillis = Self.integer(json["purchaseTimeMillis"])
        regionCode = json["regionCode"]?.stringValue
    }

    /// An integer sent as a JSON number or, as Google does for int64 fields, as a decimal string.
    static func integer(_ value: JSONValue?) -> Int64? {
        value?.int64Value ?? value?.stringValue.flatMap { Int64($0) }
    }
}

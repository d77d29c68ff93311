import PaymentsCore

/// A verified StoreKit 2 transaction (`JWSTransactionDecodedPayload`), with the fields this backend reads.
///
/// See https://developer.apple.com/documentation/appstoreserverapi/jwstransactiondecodedpayload
public struct AppStoreTransaction: Sendable {
    /// Unique per purchase; the ledger's `payment_id`.
    public let transactionID: String
    public let originalTransactionID: String?
    public let productID: String
    public let bundleID: String
    /// The UUID the app set on the purchase (`appAccountToken`), as sent; compare with `AppStoreAccountToken`.
    public let appAccountToken: String?
    /// `Consumable`, `Non-Consumable`, `Auto-Renewable Subscription`, `Non-Renewing Subscription`, as sent.
    public let rawType: String?
    /// nil when the `environment` string is not one Apple defines; `rawEnvironment` keeps it.
    public let environment: AppStoreEnvironment?
    public let rawEnvironment: String?
    /// Unix milliseconds, as Apple sends every date.
    public let purchaseDate: Int64?
    public let signedDate: Int64?
    /// Set once Apple refunded or revoked the transaction; such a transaction credits nothing.
    public let revocationDate: Int64?
    /// `0` other, `1` an issue with the app.
    public let revocationReason: Int64?
    public let quantity: Int64?
    /// Customer price in milli-units of `currency` (audit only; credits come from the configured product table).
    public let price: Int64?
    public let currency: String?
    /// The whole decoded payload, for audit.
    public let json: JSONValue

    /// Reads the payload; nil when `transactionId`, `productId` or `bundleId` is missing or not a string.
    public init?(_ json: JSONValue) {
        guard let transactionID = json["transactionId"]?.stringValue, !transactionID.isEmpty,
            let productID = json["productId"]?.stringValue, !productID.isEmpty,
            let bundleID = json["bundleId"]?.stringValue
        else { return nil }
        self.transactionID = transactionID
        self.originalTransactionID = json["originalTransactionId"]?.stringValue
        self.productID = productID
        self.bundleID = bundleID
        self.appAccountToken = json["appAccountToken"]?.stringValue
        self.rawType = json["type"]?.stringValue
        self.rawEnvironment = json["environment"]?.stringValue
        self.environment = rawEnvironment.flatMap(AppStoreEnvironment.init(rawValue:))
        self.purchaseDate = json["purchaseDate"]?.int64Value
        self.signedDate = json["signedDate"]?.int64Value
        self.revocationDate = json["revocationDate"]?.int64Value
        self.revocationReason = json["revocationReason"]?.int64Value
        self.quantity = json["quantity"]?.int64Value
        self.price = json["price"]?.int64Value
        self.currency = json["currency"]?.stringValue
        self.json = json
    }

    /// Whether Apple has revoked the purchase (refund, or family-sharing loss).
    public var isRevoked: Bool { revocationDate != nil }
}

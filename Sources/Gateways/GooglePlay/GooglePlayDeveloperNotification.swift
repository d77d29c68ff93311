import PaymentsCore

/// A Real-time developer notification (`DeveloperNotification`), the JSON inside a push message's `data`. It says only
/// that something changed; purchases are always read again from the API. See
/// https://developer.android.com/google/play/billing/rtdn-reference
public struct GooglePlayDeveloperNotification: Sendable, Equatable {
    /// `voidedPurchaseNotification`: a purchase refunded, charged back or revoked (the only refund signal for
    /// one-time products).
    public struct VoidedPurchase: Sendable, Equatable {
        public let purchaseToken: String
        /// The voided order: the `payment_id` of the credit it reverses.
        public let orderID: String
        /// `productType`: 1 subscription, 2 one-time product.
        public let productType: Int64?
        /// `refundType`: 1 full refund, 2 quantity-based partial refund.
        public let refundType: Int64?

        public init(purchaseToken: String, orderID: String, productType: Int64?, refundType: Int64?) {
            self.purchaseToken = purchaseToken
            self.orderID = orderID
            self.productType = productType
            self.refundType = refundType
        }
    }

    /// `oneTimeProductNotification`: 1 `ONE_TIME_PRODUCT_PURCHASED`, 2 `ONE_TIME_PRODUCT_CANCELED` (a pending
    /// purchase abandoned; no money moved).
    public struct OneTimeProduct: Sendable, Equatable {
        public let notificationType: Int64
        public let purchaseToken: String
        /// `sku`: the product id.
        public let productID: String?

        public init(notificationType: Int64, purchaseToken: String, productID: String?) {
            self.notificationType = notificationType
            self.purchaseToken = purchaseToken
            self.productID = productID
        }
    }

    /// Which one of the notification's members is present.
    public enum Kind: Sendable, Equatable {
        case voidedPurchase(VoidedPurchase)
        case oneTimeProduct(OneTimeProduct)
        /// `testNotification`, sent from the Play Console.
        case test
        /// `subscriptionNotification` or a member this backend does not know.
        case other
    }

    public let version: String?
    /// The app the notification is about; any other package is not ours.
    public let packageName: String
    /// `eventTimeMillis`, sent as a string in Google's examples though documented as a long: both are read.
    public let eventTimeMillis: Int64?
    public let kind: Kind

    /// Reads the decoded `data`; nil when `packageName` is missing or a present notification lacks its keys.
    public init?(_ json: JSONValue) {
        guard case .object = json, let packageName = json["packageName"]?.stringValue, !packageName.isEmpty else {
            return nil
        }
        self.packageName = packageName
        version = json["version"]?.stringValue
        eventTimeMillis = GooglePlayProductPurchase.integer(json["eventTimeMillis"])
        if let voided = json["voidedPurchaseNotification"] {
            guard let token = voided["purchaseToken"]?.stringValue, let orderID = voided["orderId"]?.stringValue,
                !token.isEmpty, !orderID.isEmpty
            else { return nil }
            kind = .voidedPurchase(
                VoidedPurchase(
                    purchaseToken: token, orderID: orderID,
                    productType: GooglePlayProductPurchase.integer(voided["productType"]),
                    refundType: GooglePlayProductPurchase.integer(voided["refundType"])))
        } else if let oneTime = json["oneTimeProductNotification"] {
            guard let type = GooglePlayProductPurchase.integer(oneTime["notificationType"]),
                let token = oneTime["purchaseToken"]?.stringValue, !token.isEmpty
            else { return nil }
            kind = .oneTimeProduct(
                OneTimeProduct(notificationType: type, purchaseToken: token, productID: oneTime["sku"]?.stringValue))
        } else if json["testNotification"] != nil {
            kind = .test
        } else {
            kind = .other
        }
    }
}

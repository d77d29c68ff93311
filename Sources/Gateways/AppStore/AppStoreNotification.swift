import PaymentsCore

/// A verified App Store Server Notification V2 (`ResponseBodyV2DecodedPayload`).
///
/// Its `signedTransactionInfo` is a JWS of its own, verified separately with
/// `AppStoreSignedDataVerifier.verifyTransaction(_:)`.
/// See https://developer.apple.com/documentation/appstoreservernotifications/responsebodyv2decodedpayload
public struct AppStoreNotification: Sendable {
    /// `REFUND`, `REFUND_REVERSED`, `CONSUMPTION_REQUEST`, `TEST`, … as sent.
    public let rawNotificationType: String
    public let rawSubtype: String?
    /// Unique per notification, kept across Apple's retries: the event id for deduplication.
    public let notificationUUID: String
    /// Unix milliseconds; the signing chain is checked at this time.
    public let signedDate: Int64?
    public let version: String?
    /// The app the notification is about, from `data`, `summary`, `externalPurchaseToken` or `appData`.
    public let bundleID: String?
    public let appAppleID: Int64?
    public let environment: AppStoreEnvironment?
    public let rawEnvironment: String?
    /// `data.signedTransactionInfo`: the transaction concerned, still to be verified.
    public let signedTransactionInfo: String?
    /// The whole decoded payload, for audit.
    public let json: JSONValue

    /// Reads the payload; nil when `notificationType` or `notificationUUID` is missing.
    public init?(_ json: JSONValue) {
        guard let type = json["notificationType"]?.stringValue, !type.isEmpty,
            let uuid = json["notificationUUID"]?.stringValue, !uuid.isEmpty
        else { return nil }
        rawNotificationType = type
        rawSubtype = json["subtype"]?.stringValue
        notificationUUID = uuid
        signedDate = json["signedDate"]?.int64Value
        version = json["version"]?.stringValue
        self.json = json
        // Apple's verifier takes the app identity from whichever of these the notification carries.
        let holder = json["data"] ?? json["summary"] ?? json["appData"]
        if let holder {
            bundleID = holder["bundleId"]?.stringValue
            appAppleID = holder["appAppleId"]?.int64Value
            rawEnvironment = holder["environment"]?.stringValue
        } else if let token = json["externalPurchaseToken"] {
            bundleID = token["bundleId"]?.stringValue
            appAppleID = token["appAppleId"]?.int64Value
            let sandbox = token["externalPurchaseId"]?.stringValue?.hasPrefix("SANDBOX") ?? false
            rawEnvironment = sandbox ? AppStoreEnvironment.sandbox.rawValue : AppStoreEnvironment.production.rawValue
        } else {
            bundleID = nil
            appAppleID = nil
            rawEnvironment = nil
        }
        environment = rawEnvironment.flatMap(AppStoreEnvironment.init(rawValue:))
        signedTransactionInfo = json["data"]?["signedTransactionInfo"]?.stringValue
    }
}

/// The server environment App Store signed data names in its `environment` field.
///
/// See https://developer.apple.com/documentation/appstoreserverapi/environment
public enum AppStoreEnvironment: String, Sendable, CaseIterable {
    case production = "Production"
    case sandbox = "Sandbox"
    /// StoreKit testing in Xcode: signed by Xcode's own certificate, never by Apple.
    case xcode = "Xcode"
    /// StoreKit local testing: not signed by Apple either.
    case localTesting = "LocalTesting"

    /// Whether Apple's PKI signs data of this environment; the others are never accepted by this backend.
    public var isSignedByApple: Bool { self == .production || self == .sandbox }
}

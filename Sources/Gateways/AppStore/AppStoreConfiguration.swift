import Foundation
import PaymentsCore
import Signing

/// App Store settings (DESIGN §9), read and checked once at start-up; every failure names its variable.
///
/// - `APPSTORE_BUNDLE_ID`: the app's bundle id; signed data for another bundle is refused.
/// - `APPSTORE_APP_APPLE_ID`: the app's numeric Apple id; required when `Production` is accepted, and then a
///   production notification must carry it (`appAppleId`).
/// - `APPSTORE_ENVIRONMENTS`: the environments accepted, comma-separated: `Production`, `Sandbox` or both
///   (`Production,Sandbox`). `Xcode` and `LocalTesting` data is not signed by Apple and is refused here.
/// - `APPSTORE_ROOT_CERTS`: a PEM file; every certificate in it is a trust root (Apple Root CA - G3 in production,
///   https://www.apple.com/certificateauthority/). The root inside a payload's `x5c` is never trusted.
/// - `APPSTORE_PRODUCTS`: the consumables and the USD cents each credits, `id=cents` pairs separated by commas:
///   `APPSTORE_PRODUCTS=com.example.coins500=499,com.example.coins1200=999`.
/// - `APPSTORE_ISSUER_ID`, `APPSTORE_KEY_ID`, `APPSTORE_PRIVATE_KEY_FILE`: the App Store Server API key from App
///   Store Connect (Users and Access → Integrations → In-App Purchase): issuer id, key id and the path of the
///   downloaded `.p8` file (a PKCS#8 P-256 key).
/// - `APPSTORE_API_BASE`: scheme, host and port of the App Store Server API (`https://api.storekit.apple.com`; the
///   sandbox service is `https://api.storekit-sandbox.apple.com`, the default when only `Sandbox` is accepted).
public struct AppStoreConfiguration: Sendable {
    public static let productionAPIBase = "https://api.storekit.apple.com"
    public static let sandboxAPIBase = "https://api.storekit-sandbox.apple.com"

    public var bundleID: String
    /// nil only when `Production` is not accepted.
    public var appAppleID: Int64?
    public var environments: Set<AppStoreEnvironment>
    public var rootCertificates: [Certificate]
    public var products: ProductTable
    public var issuerID: String
    public var keyID: String
    public var privateKey: PrivateKey
    public var apiBase: String

    /// - Throws: `ConfigurationError` when an environment is not signed by Apple or `Production` is accepted without
    ///   an app Apple id, as Apple's `SignedDataVerifier.init` refuses it.
    public init(
        bundleID: String, appAppleID: Int64?, environments: Set<AppStoreEnvironment>, rootCertificates: [Certificate],
        products: ProductTable, issuerID: String, keyID: String, privateKey: PrivateKey,
        apiBase: String = AppStoreConfiguration.productionAPIBase
    ) throws(ConfigurationError) {
        guard !environments.isEmpty else {
            throw ConfigurationError(variable: "APPSTORE_ENVIRONMENTS", problem: "is required but missing")
        }
        if let unsigned = environments.first(where: { !$0.isSignedByApple }) {
            throw ConfigurationError(
                variable: "APPSTORE_ENVIRONMENTS",
                problem: "may list only Production and Sandbox; \(unsigned.rawValue) data is not signed by Apple")
        }
        if environments.contains(.production), appAppleID == nil {
            throw ConfigurationError(
                variable: "APPSTORE_APP_APPLE_ID", problem: "is required when APPSTORE_ENVIRONMENTS lists Production")
        }
        guard !rootCertificates.isEmpty else {
            throw ConfigurationError(variable: "APPSTORE_ROOT_CERTS", problem: "holds no certificate")
        }
        guard privateKey.publicKey.curveName == "prime256v1" else {
            throw ConfigurationError(variable: "APPSTORE_PRIVATE_KEY_FILE", problem: "must hold an EC P-256 key")
        }
        self.bundleID = bundleID
        self.appAppleID = appAppleID
        self.environments = environments
        self.rootCertificates = rootCertificates
        self.products = products
        self.issuerID = issuerID
        self.keyID = keyID
        self.privateKey = privateKey
        self.apiBase = apiBase
    }

    /// Reads the `APPSTORE_*` variables listed on the type.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let bundleID = try config.string("APPSTORE_BUNDLE_ID")
        var environments: Set<AppStoreEnvironment> = []
        for name in config.list("APPSTORE_ENVIRONMENTS") {
            guard let environment = AppStoreEnvironment(rawValue: name) else {
                throw ConfigurationError(
                    variable: "APPSTORE_ENVIRONMENTS", problem: "lists '\(name)'; expected Production and/or Sandbox")
            }
            environments.insert(environment)
        }
        var appAppleID: Int64?
        if let text = config.optional("APPSTORE_APP_APPLE_ID") {
            guard let value = Int64(text), value > 0 else {
                throw ConfigurationError(variable: "APPSTORE_APP_APPLE_ID", problem: "must be a positive integer")
            }
            appAppleID = value
        }
        let rootsText = try Self.readFile(config, "APPSTORE_ROOT_CERTS")
        let roots: [Certificate]
        do {
            roots = try Certificate.parseAll(pem: rootsText)
        } catch {
            throw ConfigurationError(
                variable: "APPSTORE_ROOT_CERTS", problem: "is not a PEM file of certificates (\(error))")
        }
        let products = try ProductTable(parsing: try config.string("APPSTORE_PRODUCTS"), variable: "APPSTORE_PRODUCTS")
        let keyText = try Self.readFile(config, "APPSTORE_PRIVATE_KEY_FILE")
        let key: PrivateKey
        do {
            key = try PrivateKey(pem: keyText)
        } catch {
            throw ConfigurationError(variable: "APPSTORE_PRIVATE_KEY_FILE", problem: "holds no usable private key")
        }
        let defaultBase = environments == [.sandbox] ? Self.sandboxAPIBase : Self.productionAPIBase
        try self.init(
            bundleID: bundleID, appAppleID: appAppleID, environments: environments, rootCertificates: roots,
            products: products, issuerID: try config.string("APPSTORE_ISSUER_ID"),
            keyID: try config.string("APPSTORE_KEY_ID"), privateKey: key,
            apiBase: try config.baseURL("APPSTORE_API_BASE", default: defaultBase))
    }

    /// The verifier for StoreKit transactions and server notifications under these settings.
    public func makeVerifier() -> AppStoreSignedDataVerifier {
        AppStoreSignedDataVerifier(
            rootCertificates: rootCertificates, bundleID: bundleID, appAppleID: appAppleID,
            environments: environments)
    }

    private static func readFile(_ config: ConfigReader, _ variable: String) throws(ConfigurationError) -> String {
        let path = try config.string(variable)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(variable: variable, problem: "names a file that cannot be read: \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

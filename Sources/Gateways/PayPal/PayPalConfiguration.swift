import Foundation
import PaymentsCore
import Signing

/// PayPal settings (DESIGN §9), read once at start-up; the trust roots are loaded and parsed here so a bad file
/// stops start-up with a message naming `PAYPAL_TRUST_ROOTS`.
public struct PayPalConfiguration: Sendable {
    public var clientID: String
    public var secret: Secret
    /// The id of the webhook registered for this endpoint; it is part of every signed message.
    public var webhookID: String
    /// Lower-cased hosts a `PAYPAL-CERT-URL` may name (ports ignored).
    public var certHosts: Set<String>
    /// The signing leaf's CN must end with this.
    public var certCommonNameSuffix: String
    /// Roots or intermediates the signing chain must end at (partial chains accepted).
    public var trustRoots: [Certificate]
    public var apiBase: String

    public init(
        clientID: String, secret: Secret, webhookID: String, certHosts: [String],
        certCommonNameSuffix: String = ".paypal.com",
        trustRoots: [Certificate], apiBase: String = "https://api-m.paypal.com"
    ) {
        self.clientID = clientID
        self.secret = secret
        self.webhookID = webhookID
        self.certHosts = Set(certHosts.map { $0.lowercased() })
        self.certCommonNameSuffix = certCommonNameSuffix
        self.trustRoots = trustRoots
        self.apiBase = apiBase
    }

    /// Reads `PAYPAL_CLIENT_ID`, `PAYPAL_SECRET`, `PAYPAL_WEBHOOK_ID`, `PAYPAL_CERT_HOSTS`, `PAYPAL_CERT_CN_SUFFIX`
    /// (`.paypal.com`), `PAYPAL_TRUST_ROOTS` (a PEM file) and `PAYPAL_API_BASE`.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let hosts = try config.requiredList("PAYPAL_CERT_HOSTS")
        let rootsPath = try config.string("PAYPAL_TRUST_ROOTS")
        guard let data = FileManager.default.contents(atPath: rootsPath) else {
            throw ConfigurationError(
                variable: "PAYPAL_TRUST_ROOTS", problem: "names a file that cannot be read: \(rootsPath)")
        }
        let roots: [Certificate]
        do {
            roots = try Certificate.parseAll(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigurationError(
                variable: "PAYPAL_TRUST_ROOTS", problem: "is not a PEM file of certificates (\(error))")
        }
        self.init(
            clientID: try config.string("PAYPAL_CLIENT_ID"),
            secret: Secret(try config.string("PAYPAL_SECRET")),
            webhookID: try config.string("PAYPAL_WEBHOOK_ID"),
            certHosts: hosts,
            certCommonNameSuffix: config.string("PAYPAL_CERT_CN_SUFFIX", default: ".paypal.com"),
            trustRoots: roots,
            apiBase: try config.baseURL("PAYPAL_API_BASE", default: "https://api-m.paypal.com"))
    }
}

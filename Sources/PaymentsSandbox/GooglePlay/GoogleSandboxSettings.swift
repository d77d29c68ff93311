import PaymentsCore
import Signing

/// The Google half of the sandbox's settings, read from the shared env file: the other side of what the responder is
/// configured with (`GOOGLE_PLAY_*`, `GOOGLE_PUBSUB_*`).
struct GoogleSandboxSettings: Sendable {
    /// The service account whose RS256 assertions the token endpoint accepts (from `GOOGLE_PLAY_SECRET_FILE`); nil
    /// when the file has none, and then every assertion is refused.
    struct ServiceAccount: Sendable {
        let clientEmail: String
        let publicKey: PublicKey
        /// `token_uri`: the assertion's required `aud`.
        let tokenURI: String
    }

    let packageName: String
    let serviceAccount: ServiceAccount?
    /// The `aud` of the OIDC tokens on pushes; nil means the push URL itself (Pub/Sub's default).
    let pubsubAudience: String?
    /// The `email` of the OIDC tokens on pushes.
    let pubsubServiceAccount: String

    /// - Throws: `ConfigurationError` when `GOOGLE_PLAY_SECRET_FILE` is present but is not a service-account key.
    init(_ reader: ConfigReader) throws(ConfigurationError) {
        packageName = reader.string("GOOGLE_PLAY_PACKAGE_NAME", default: "com.tempnumber.sandbox")
        pubsubAudience = reader.optional("GOOGLE_PUBSUB_AUDIENCE")
        pubsubServiceAccount = reader.string(
            "GOOGLE_PUBSUB_SERVICE_ACCOUNT", default: "pubsub-push@tn-sandbox.iam.gserviceaccount.com")
        guard let secret = reader.optional("GOOGLE_PLAY_SECRET_FILE") else {
            serviceAccount = nil
            return
        }
        guard let json = try? JSONValue.parse(Array(secret.utf8)), let email = json["client_email"]?.stringValue,
            let tokenURI = json["token_uri"]?.stringValue, let pem = json["private_key"]?.stringValue,
            let key = try? PrivateKey(pem: pem)
        else {
            throw ConfigurationError(
                variable: "GOOGLE_PLAY_SECRET_FILE",
                problem: "is not a service-account JSON key (client_email, token_uri, private_key)")
        }
        serviceAccount = ServiceAccount(clientEmail: email, publicKey: key.publicKey, tokenURI: tokenURI)
    }
}

import PaymentsCore
import Signing

/// The service-account key Google Play's API calls are made with: the JSON key file the Cloud console downloads,
/// given as `GOOGLE_PLAY_SECRET_FILE` itself (DESIGN §9), never a path to it.
///
/// Only four members are used: `client_email` (the assertion's `iss`), `private_key_id` (its `kid`), `private_key`
/// (the PEM RSA key that signs it) and `token_uri` (where it is exchanged, and its `aud`). See
/// https://developers.google.com/identity/protocols/oauth2/service-account#httprest
public struct GooglePlayServiceAccount: Sendable {
    public let clientEmail: String
    public let privateKeyID: String
    public let privateKey: PrivateKey
    /// The OAuth token endpoint (`https://oauth2.googleapis.com/token` in keys Google issues today).
    public let tokenURI: String

    public init(clientEmail: String, privateKeyID: String, privateKey: PrivateKey, tokenURI: String) {
        self.clientEmail = clientEmail
        self.privateKeyID = privateKeyID
        self.privateKey = privateKey
        self.tokenURI = tokenURI
    }

    /// Parses the key file's JSON text.
    /// - Throws: `ConfigurationError` naming `variable` when the text is not a JSON object, a member is missing or
    ///   empty, the key is not an RSA private key, or `token_uri` is not an http(s) URL. The message never repeats
    ///   the key.
    public init(json text: String, variable: String = "GOOGLE_PLAY_SECRET_FILE") throws(ConfigurationError) {
        guard let json = try? JSONValue.parse(Array(text.utf8)), case .object = json else {
            throw ConfigurationError(variable: variable, problem: "must be the service-account JSON key itself")
        }
        func member(_ name: String) throws(ConfigurationError) -> String {
            guard let value = json[name]?.stringValue, !value.isEmpty else {
                throw ConfigurationError(variable: variable, problem: "has no \(name)")
            }
            return value
        }
        let tokenURI = try member("token_uri")
        guard tokenURI.hasPrefix("https://") || tokenURI.hasPrefix("http://") else {
            throw ConfigurationError(variable: variable, problem: "has a token_uri that is not an http(s) URL")
        }
        let pem = try member("private_key")
        // A trial signature is the check that the key is RSA: the RS256 assertion is all it will ever sign.
        guard let privateKey = try? PrivateKey(pem: pem),
            (try? privateKey.sign(Array("probe".utf8), algorithm: .rsaPKCS1SHA256)) != nil
        else { throw ConfigurationError(variable: variable, problem: "has a private_key that is not a PEM RSA key") }
        self.init(
            clientEmail: try member("client_email"), privateKeyID: try member("private_key_id"),
            privateKey: privateKey, tokenURI: tokenURI)
    }
}

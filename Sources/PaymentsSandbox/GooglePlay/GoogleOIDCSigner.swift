import PaymentsCore
import Signing

/// Google's OIDC token signing as Pub/Sub push uses it: two RSA keys, each with a self-signed certificate, published
/// in the x509-map format (`{kid: PEM certificate}`) of `https://www.googleapis.com/oauth2/v1/certs`. Google rotates
/// keys and publishes more than one, so pushes are signed with either, and the backend must honour every key listed.
final class GoogleOIDCSigner: Sendable {
    private struct SigningKey: Sendable {
        let kid: String
        let key: PrivateKey
        let certificatePEM: String
    }

    private let keys: [SigningKey]
    /// A key that is not published, for forged tokens.
    private let rogue: PrivateKey

    /// Generates the keys (fresh ones every sandbox run).
    /// - Throws: `OpenSSLError` when key or certificate generation fails.
    init() throws {
        keys = try (0..<2).map { _ in
            let key = try PrivateKey.generateRSA(bits: 2048)
            let certificate = try Certificate.issue(
                commonName: "accounts.google.com", subjectKey: key, issuer: nil, issuerKey: key, isCA: false, days: 30)
            return SigningKey(kid: RandomID.hex(40), key: key, certificatePEM: certificate.pem)
        }
        rogue = try PrivateKey.generateRSA(bits: 2048)
    }

    /// `GET /oauth2/v1/certs`: every published key, cacheable for an hour as Google's answer is.
    func certs() -> SandboxResponse {
        .json(
            200, .object(keys.map { ($0.kid, .string($0.certificatePEM)) }),
            headers: [("Cache-Control", "public, max-age=3600")])
    }

    /// An ID token as Pub/Sub puts on a push: `iss` https://accounts.google.com, `aud`, `email` with
    /// `email_verified` true, `sub`, `azp`, `iat` now and `exp` an hour later, then the overrides.
    /// - Parameters:
    ///   - keyIndex: which published key signs (0 or 1).
    ///   - signature: `valid`, `corrupt` (one bit flipped), `rogue` (an unpublished key under a published `kid`) or
    ///     `none` (no signature).
    /// - Throws: `SandboxError` for an unknown key index or mode; `OpenSSLError` when signing fails.
    func mint(
        audience: String, email: String, claims overrides: JSONValue?, header headerOverrides: JSONValue?,
        keyIndex: Int, signature mode: String
    ) throws -> String {
        guard keys.indices.contains(keyIndex) else { throw SandboxError("key must be 0 or 1") }
        guard ["valid", "corrupt", "rogue", "none"].contains(mode) else {
            throw SandboxError("signature must be valid|corrupt|rogue|none")
        }
        let signer = keys[keyIndex]
        let now = SocketIO.now()
        let header = JSONValue.object([
            ("alg", .string("RS256")), ("kid", .string(signer.kid)), ("typ", .string("JWT")),
        ])
        .merging(headerOverrides)
        let claims = JSONValue.object([
            ("aud", .string(audience)), ("azp", .string("1043512345678901234567")), ("email", .string(email)),
            ("email_verified", .bool(true)), ("exp", .int(now + 3600)), ("iat", .int(now)),
            ("iss", .string("https://accounts.google.com")), ("sub", .string("1043512345678901234567")),
        ]).merging(overrides)
        let input =
            Base64.urlEncode(Array(header.serialized().utf8)) + "." + Base64.urlEncode(Array(claims.serialized().utf8))
        if mode == "none" { return input + "." }
        var signature = try (mode == "rogue" ? rogue : signer.key).sign(Array(input.utf8), algorithm: .rsaPKCS1SHA256)
        if mode == "corrupt", !signature.isEmpty { signature[signature.count / 2] ^= 0x01 }
        return input + "." + Base64.urlEncode(signature)
    }
}

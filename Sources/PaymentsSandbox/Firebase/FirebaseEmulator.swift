import PaymentsCore
import Signing

/// Emulates Firebase Auth for the backend: a certificate endpoint in Google's `{kid: PEM}` shape and a mint endpoint
/// that issues RS256 ID tokens for any test user, with claim and header overrides for negative tests.
final class FirebaseEmulator: Sendable {
    let projectID: String
    let keyID: String
    private let key: PrivateKey
    private let certificatePEM: String
    /// While true the certs endpoint answers 503, to exercise the backend's "certs unavailable" path.
    private let down = Locked(false)

    /// Generates a fresh RSA-2048 key and a self-signed certificate for it (one per sandbox run).
    init(projectID: String) throws {
        self.projectID = projectID
        key = try PrivateKey.generateRSA(bits: 2048)
        let certificate = try Certificate.issue(
            commonName: "securetoken.system.gserviceaccount.com", subjectKey: key, issuer: nil, issuerKey: key,
            isCA: false,
            days: 30)
        certificatePEM = certificate.pem
        keyID = RandomID.hex(40)
    }

    /// `GET /firebase/certs`: `{"<kid>": "<PEM>"}`, cacheable for an hour like Google's endpoint.
    func certs() -> SandboxResponse {
        if down.withLock({ $0 }) { return .text(503, "firebase certs sandbox is down\n") }
        return .json(
            200, .object([(keyID, .string(certificatePEM))]), headers: [("Cache-Control", "public, max-age=3600")])
    }

    /// `POST /control/firebase {"down": bool}`.
    func control(_ body: JSONValue) -> SandboxResponse {
        guard let value = body["down"]?.boolValue else { return .controlError(400, "expected {\"down\": true|false}") }
        down.withLock { $0 = value }
        return .json(200, .object([("down", .bool(value))]))
    }

    /// `POST /firebase/mint`: `{"uid", "email_verified", "sign_in_provider", "email", "claims", "header", "signature"}`
    /// → `{"idToken"}`. `signature` may be `valid` (default), `corrupt` or `none`.
    func mint(_ body: JSONValue) -> SandboxResponse {
        guard let uid = body["uid"]?.stringValue, !uid.isEmpty else { return .controlError(400, "uid is required") }
        if let claims = body["claims"], claims.members == nil { return .controlError(400, "claims must be an object") }
        if let header = body["header"], header.members == nil { return .controlError(400, "header must be an object") }
        let mode = body["signature"]?.stringValue ?? "valid"
        guard ["valid", "corrupt", "none"].contains(mode) else {
            return .controlError(400, "signature must be valid|corrupt|none")
        }
        do {
            let token = try mint(
                uid: uid, emailVerified: body["email_verified"]?.boolValue ?? true,
                provider: body["sign_in_provider"]?.stringValue ?? "google.com", email: body["email"]?.stringValue,
                claims: body["claims"], header: body["header"], signature: mode)
            return .json(200, .object([("idToken", .string(token))]))
        } catch {
            return .controlError(500, "signing failed: \(error)")
        }
    }

    /// Builds and signs one compact JWS.
    func mint(
        uid: String, emailVerified: Bool, provider: String, email: String?, claims: JSONValue?,
        header overrides: JSONValue?,
        signature mode: String
    ) throws -> String {
        let now = SocketIO.now()
        let header = JSONValue.object([("alg", .string("RS256")), ("kid", .string(keyID)), ("typ", .string("JWT"))])
            .merging(overrides)
        var payload: [(String, JSONValue)] = [
            ("iss", .string("https://securetoken.google.com/\(projectID)")), ("aud", .string(projectID)),
            ("auth_time", .int(now)), ("user_id", .string(uid)), ("sub", .string(uid)), ("iat", .int(now)),
            ("exp", .int(now + 3600)),
        ]
        if let email { payload.append(("email", .string(email))) }
        payload.append(("email_verified", .bool(emailVerified)))
        payload.append(
            ("firebase", .object([("identities", .object([])), ("sign_in_provider", .string(provider))])))
        let claims = JSONValue.object(payload).merging(claims)
        let signingInput =
            Base64.urlEncode(Array(header.serialized().utf8)) + "." + Base64.urlEncode(Array(claims.serialized().utf8))
        switch mode {
        case "none":
            return signingInput + "."
        default:
            var signature = try key.sign(Array(signingInput.utf8), algorithm: .rsaPKCS1SHA256)
            if mode == "corrupt", !signature.isEmpty { signature[signature.count / 2] ^= 0x01 }
            return signingInput + "." + Base64.urlEncode(signature)
        }
    }
}

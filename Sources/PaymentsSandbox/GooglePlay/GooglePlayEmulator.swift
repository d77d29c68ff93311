import Logging
import PaymentsCore
import Signing

/// Emulates Google for the Play gateway on its own port: the OAuth token endpoint (`POST /token`, checking the
/// service account's RS256 assertion), the OIDC certificates (`GET /oauth2/v1/certs`) and the Android Publisher
/// one-time product calls (`purchases.products` get, `:consume`, `:acknowledge`). Operators create purchases, change
/// their state, switch 5xx faults on and send Pub/Sub pushes through `/control/googleplay/…` on the control port.
final class GooglePlayEmulator: SandboxService {
    /// Lifetime of the access tokens it issues (Google's are an hour, `expires_in` 3599).
    static let tokenLifetime: Int64 = 3599

    let settings: GoogleSandboxSettings
    /// Base URL pushes go to (`<target>/googleplay-handleWebhookEvents`); nil when no target is configured.
    let webhookTarget: String?
    let signer: GoogleOIDCSigner
    let logger: Logger
    let purchases = Locked<[String: GooglePlaySandboxPurchase]>([:])
    /// Access token → unix seconds it expires.
    let accessTokens = Locked<[String: Int64]>([:])
    /// While set, every Android Publisher call answers this 5xx status.
    let fault = Locked<Int?>(nil)
    /// Count of Android Publisher calls answered, by method name (`get`, `consume`, `acknowledge`, `token`).
    let calls = Locked<[String: Int]>([:])

    init(settings: GoogleSandboxSettings, webhookTarget: String?, logger: Logger) throws {
        self.settings = settings
        self.webhookTarget = webhookTarget
        self.signer = try GoogleOIDCSigner()
        self.logger = logger
    }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        switch (request.method, segments) {
        case ("POST", ["token"]):
            return token(request)
        case ("GET", ["oauth2", "v1", "certs"]):
            return signer.certs()
        case (_, let path) where path.count == 9 && path[0] == "androidpublisher" && path[1] == "v3":
            return publisher(request, Array(path.dropFirst(2)))
        default:
            return Self.googleError(404, "NOT_FOUND", "no route for \(request.method) \(request.path)")
        }
    }

    /// `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`.
    ///
    /// The assertion must be RS256-signed by the service account's key, with `iss` its `client_email`, `scope`
    /// holding androidpublisher, `aud` its `token_uri`, `iat` not in the future and `exp` ahead of now and at most an
    /// hour after `iat`; anything else is 400 `invalid_grant`, as Google answers.
    private func token(_ request: SandboxRequest) -> SandboxResponse {
        count("token")
        let form = FormDecoding.parse(String(decoding: request.body, as: UTF8.self))
        guard form.first(where: { $0.0 == "grant_type" })?.1 == "urn:ietf:params:oauth:grant-type:jwt-bearer",
            let assertion = form.first(where: { $0.0 == "assertion" })?.1
        else { return Self.oauthError("unsupported_grant_type", "grant_type must be the JWT bearer grant") }
        guard let account = settings.serviceAccount else {
            return Self.oauthError("invalid_client", "the sandbox has no GOOGLE_PLAY_SECRET_FILE")
        }
        guard let jwt = try? JSONWebToken.parse(assertion), jwt.header["alg"]?.stringValue == "RS256",
            account.publicKey.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256)
        else { return Self.oauthError("invalid_grant", "Invalid JWT Signature.") }
        let claims = jwt.payload
        let now = SocketIO.now()
        let scopes = (claims["scope"]?.stringValue ?? "").split(separator: " ")
        guard claims["iss"]?.stringValue == account.clientEmail, claims["aud"]?.stringValue == account.tokenURI,
            scopes.contains("https://www.googleapis.com/auth/androidpublisher")
        else { return Self.oauthError("invalid_grant", "Invalid iss, aud or scope.") }
        guard let issued = claims["iat"]?.int64Value, let expires = claims["exp"]?.int64Value, issued <= now + 60,
            expires > now, expires > issued, expires - issued <= 3600
        else { return Self.oauthError("invalid_grant", "Invalid JWT: Token must be a short-lived token.") }
        let value = "ya29.sandbox-" + RandomID.hex(48)
        accessTokens.withLock { $0[value] = now + Self.tokenLifetime }
        return .json(
            200,
            .object([
                ("access_token", .string(value)), ("expires_in", .int(Self.tokenLifetime)),
                ("token_type", .string("Bearer")),
            ]))
    }

    /// `applications/{pkg}/purchases/products/{productId}/tokens/{token}[:consume|:acknowledge]`.
    private func publisher(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        guard path[0] == "applications", path[2] == "purchases", path[3] == "products", path[5] == "tokens" else {
            return Self.googleError(404, "NOT_FOUND", "no route for \(request.method) \(request.path)")
        }
        let (packageName, productID) = (path[1], path[4])
        var purchaseToken = path[6]
        var action = "get"
        for suffix in [":consume", ":acknowledge"] where purchaseToken.hasSuffix(suffix) {
            purchaseToken = String(purchaseToken.dropLast(suffix.count))
            action = String(suffix.dropFirst())
        }
        guard (request.method == "GET") == (action == "get"), ["GET", "POST"].contains(request.method) else {
            return Self.googleError(405, "METHOD_NOT_ALLOWED", "\(request.method) is not allowed here")
        }
        if let status = fault.withLock({ $0 }) {
            return Self.googleError(status, "UNAVAILABLE", "The service is currently unavailable.")
        }
        guard authorized(request) else {
            return Self.googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        }
        count(action)
        return purchases.withLock { all -> SandboxResponse in
            guard var purchase = all[purchaseToken], purchase.packageName == packageName,
                purchase.productID == productID
            else { return Self.googleError(404, "NOT_FOUND", "The purchase token was not found.") }
            switch action {
            case "get":
                return .json(200, purchase.resource)
            case "consume":
                guard purchase.state == .purchased, !purchase.consumed else {
                    return Self.googleError(400, "FAILED_PRECONDITION", "The purchase cannot be consumed.")
                }
                purchase.consumed = true
                purchase.acknowledged = true
            default:
                guard purchase.state == .purchased, !purchase.acknowledged else {
                    return Self.googleError(400, "FAILED_PRECONDITION", "The purchase cannot be acknowledged.")
                }
                purchase.acknowledged = true
            }
            all[purchaseToken] = purchase
            return SandboxResponse(status: 200)
        }
    }

    private func authorized(_ request: SandboxRequest) -> Bool {
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else { return false }
        let presented = String(header.dropFirst(7))
        let now = SocketIO.now()
        return accessTokens.withLock { tokens in tokens[presented].map { now < $0 } ?? false }
    }

    private func count(_ name: String) {
        calls.withLock { $0[name, default: 0] += 1 }
    }

    /// Google's API error shape: `{"error": {"code", "message", "status"}}`.
    static func googleError(_ code: Int, _ status: String, _ message: String) -> SandboxResponse {
        .json(
            code,
            .object([
                ("error", .object([("code", .int(code)), ("message", .string(message)), ("status", .string(status))]))
            ]))
    }

    /// The OAuth endpoint's error shape: 400 `{"error", "error_description"}`.
    static func oauthError(_ error: String, _ description: String) -> SandboxResponse {
        .json(400, .object([("error", .string(error)), ("error_description", .string(description))]))
    }
}

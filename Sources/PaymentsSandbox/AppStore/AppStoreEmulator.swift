import Logging
import PaymentsCore
import Signing

/// Emulates the App Store on its own port (research §3.7): the App Store Server API's transaction lookup behind an
/// ES256 bearer JWT checked against the key the sandbox wrote to `APPSTORE_PRIVATE_KEY_FILE`, StoreKit transactions
/// and V2 notifications signed with the sandbox's Apple PKI, and delivery of those notifications (control port).
final class AppStoreEmulator: SandboxService {
    /// One purchase as the App Store keeps it.
    struct Transaction: Sendable {
        let id: String
        let productID: String
        let appAccountToken: String?
        let bundleID: String
        let environment: String
        let purchaseDate: Int64
        var revocationDate: Int64?

        /// The `JWSTransactionDecodedPayload` as signed now.
        func payload(signedDate: Int64) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("transactionId", .string(id)), ("originalTransactionId", .string(id)), ("bundleId", .string(bundleID)),
                ("productId", .string(productID)), ("purchaseDate", .int(purchaseDate)),
                ("originalPurchaseDate", .int(purchaseDate)), ("quantity", .int(1)), ("type", .string("Consumable")),
                ("inAppOwnershipType", .string("PURCHASED")), ("signedDate", .int(signedDate)),
                ("environment", .string(environment)), ("transactionReason", .string("PURCHASE")),
                ("storefront", .string("USA")), ("storefrontId", .string("143441")), ("price", .int(4990)),
                ("currency", .string("USD")),
            ]
            if let appAccountToken { members.append(("appAccountToken", .string(appAccountToken))) }
            if let revocationDate {
                members.append(("revocationDate", .int(revocationDate)))
                members.append(("revocationReason", .int(0)))
                members.append(("revocationType", .string("REFUND_FULL")))
            }
            return .object(members)
        }
    }

    struct State {
        var transactions: [String: Transaction] = [:]
        var nextTransactionNumber: Int64 = 2_000_000_000_000_001
        /// While true the API answers 500, to exercise the responder's 5xx path.
        var failing = false
        var lookups = 0
    }

    let bundleID: String
    let appAppleID: Int64
    let issuerID: String
    let keyID: String
    /// Where notifications go by default: `<SANDBOX_WEBHOOK_TARGET>/appstore-handleWebhookEvents`.
    let notificationURL: String?
    let chain: AppStoreCertificateChain
    let apiKey: PublicKey
    let state = Locked(State())
    let logger: Logger

    init(
        bundleID: String, appAppleID: Int64, issuerID: String, keyID: String, rootsPath: String?,
        privateKeyPath: String?, webhookTarget: String?, logger: Logger
    ) throws {
        self.bundleID = bundleID
        self.appAppleID = appAppleID
        self.issuerID = issuerID
        self.keyID = keyID
        notificationURL = webhookTarget.map { $0 + "/appstore-handleWebhookEvents" }
        chain = try AppStoreCertificateChain(rootsPath: rootsPath)
        apiKey = try Self.apiKey(path: privateKeyPath)
        self.logger = logger
    }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        guard request.method == "GET", segments.count == 4, Array(segments[..<3]) == ["inApps", "v1", "transactions"]
        else { return Self.apiError(404, 4040000, "Not found.") }
        if let problem = bearerProblem(request.header("authorization")) {
            logger.info("appstore API refused a bearer token: \(problem)")
            return .text(401, "Unauthenticated\n")
        }
        let (failing, transaction) = state.withLock { s in
            s.lookups += 1
            return (s.failing, s.transactions[segments[3]])
        }
        if failing { return Self.apiError(500, 5000000, "An unknown error occurred.") }
        guard let transaction else { return Self.apiError(404, 4040010, "Transaction id not found.") }
        do {
            let signed = try chain.sign(transaction.payload(signedDate: SocketIO.now() * 1000))
            return .json(200, .object([("signedTransactionInfo", .string(signed))]))
        } catch {
            return Self.apiError(500, 5000000, "An unknown error occurred.")
        }
    }

    /// Why the `Authorization` header is refused, nil when it is a valid App Store Server API token: ES256 over the
    /// sandbox's key, `kid`, `typ` JWT, `iss`, `aud` `appstoreconnect-v1`, `bid`, `iat` within a minute of now and
    /// `exp` after now and at most 60 minutes after `iat`.
    func bearerProblem(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Bearer "), let token = try? JSONWebToken.parse(String(header.dropFirst(7)))
        else { return "no bearer JWT" }
        guard token.header["alg"]?.stringValue == "ES256", token.header["kid"]?.stringValue == keyID,
            token.header["typ"]?.stringValue == "JWT"
        else { return "header alg/kid/typ" }
        guard apiKey.verify(signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw) else {
            return "signature"
        }
        let claims = token.payload
        guard claims["iss"]?.stringValue == issuerID, claims["aud"]?.stringValue == "appstoreconnect-v1",
            claims["bid"]?.stringValue == bundleID
        else { return "iss/aud/bid" }
        let now = SocketIO.now()
        guard let iat = claims["iat"]?.int64Value, let exp = claims["exp"]?.int64Value, iat <= now + 60, exp > now,
            exp > iat, exp - iat <= 3600
        else { return "iat/exp" }
        return nil
    }

    static func apiError(_ status: Int, _ code: Int64, _ message: String) -> SandboxResponse {
        .json(status, .object([("errorCode", .int(code)), ("errorMessage", .string(message))]))
    }

    /// Loads the API key at `path`, or makes one and writes it there as a `.p8` (PKCS#8) file; the public half checks
    /// bearer tokens.
    private static func apiKey(path: String?) throws -> PublicKey {
        if let path, let text = SandboxFiles.read(path), let key = try? PrivateKey(pem: text),
            key.publicKey.curveName == "prime256v1"
        {
            return key.publicKey
        }
        let key = try PrivateKey.generateP256()
        if let path { try SandboxFiles.write(key.pem, to: path, mode: 0o600) }
        return key.publicKey
    }
}

import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

@Suite("Google Play emulator")
struct GooglePlayEmulatorTests {
    static let serviceKey: PrivateKey? = try? PrivateKey.generateRSA()
    static let tokenURI = "http://127.0.0.1:18156/token"
    static let email = "play-api@tn-sandbox.iam.gserviceaccount.com"
    static let products = "/androidpublisher/v3/applications/com.tempnumber.sandbox/purchases/products"

    static func emulator(target: String? = nil) throws -> GooglePlayEmulator {
        let key = try #require(serviceKey)
        let secret = JSONValue.object([
            ("type", .string("service_account")), ("private_key_id", .string("k1")), ("private_key", .string(key.pem)),
            ("client_email", .string(email)), ("token_uri", .string(tokenURI)),
        ]).serialized()
        let settings = try GoogleSandboxSettings(
            ConfigReader([
                "GOOGLE_PLAY_SECRET_FILE": secret, "GOOGLE_PUBSUB_AUDIENCE": "https://pay.test/api/googleplay-hook",
            ]))
        return try GooglePlayEmulator(settings: settings, webhookTarget: target, logger: Logger(label: "test"))
    }

    /// A service-account assertion with `changes` applied to its claims, signed by `key` (the account's by default).
    static func assertion(_ changes: [(String, JSONValue)] = [], key: PrivateKey? = nil) throws -> String {
        let now = SocketIO.now()
        let claims = JSONValue.object([
            ("iss", .string(email)), ("scope", .string("https://www.googleapis.com/auth/androidpublisher")),
            ("aud", .string(tokenURI)), ("iat", .int(now)), ("exp", .int(now + 3600)),
        ]).merging(.object(changes))
        return try JSONWebToken.sign(
            header: .object([("alg", .string("RS256")), ("typ", .string("JWT")), ("kid", .string("k1"))]),
            payload: claims, key: try key ?? #require(serviceKey), algorithm: .rsaPKCS1SHA256)
    }

    static func exchange(_ google: GooglePlayEmulator, _ assertion: String) -> SandboxResponse {
        google.handle(
            makeRequest(
                "POST", "/token",
                body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"))
    }

    static func accessToken(_ google: GooglePlayEmulator) throws -> String {
        try #require(try json(exchange(google, assertion()))["access_token"]?.stringValue)
    }

    static func purchase(_ google: GooglePlayEmulator, state: String = "purchased") throws -> JSONValue {
        try json(
            google.control(
                makeRequest(
                    "POST", "/control/googleplay/purchases",
                    body: #"{"productId":"coins_500","uid":"abc","state":"\#(state)"}"#), ["purchases"]))
    }

    static func publisher(
        _ google: GooglePlayEmulator, _ method: String, _ suffix: String, token: String?
    ) -> SandboxResponse {
        google.handle(
            makeRequest(method, products + suffix, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? []))
    }

    @Test("the token endpoint issues a token for a genuine assertion only")
    func tokenEndpoint() throws {
        let google = try Self.emulator()
        let answer = Self.exchange(google, try Self.assertion())
        #expect(answer.status == 200)
        #expect(try json(answer)["expires_in"]?.int64Value == 3599)
        #expect(try json(answer)["token_type"]?.stringValue == "Bearer")
        let now = SocketIO.now()
        let refused: [[(String, JSONValue)]] = [
            [("aud", .string("https://oauth2.googleapis.com/token"))], [("iss", .string("other@x"))],
            [("scope", .string("https://www.googleapis.com/auth/cloud-platform"))],
            [("exp", .int(now - 1)), ("iat", .int(now - 3601))], [("exp", .int(now + 7200))],
            [("iat", .int(now + 600)), ("exp", .int(now + 1200))],
        ]
        for changes in refused {
            let answer = Self.exchange(google, try Self.assertion(changes))
            let error = try json(answer)["error"]?.stringValue
            #expect(answer.status == 400 && error == "invalid_grant", "\(changes)")
        }
        #expect(Self.exchange(google, try Self.assertion(key: PrivateKey.generateRSA())).status == 400)
        #expect(google.handle(makeRequest("POST", "/token", body: "grant_type=client_credentials")).status == 400)
    }

    @Test("get, consume and acknowledge follow the purchase's state and need a token")
    func publisherLifecycle() throws {
        let google = try Self.emulator()
        let created = try Self.purchase(google)
        let token = try #require(created["purchaseToken"]?.stringValue)
        #expect(created["obfuscatedExternalAccountId"]?.stringValue == Hex.encode(Digest.sha256(Array("abc".utf8))))
        let path = "/coins_500/tokens/\(token)"
        #expect(Self.publisher(google, "GET", path, token: nil).status == 401)
        #expect(Self.publisher(google, "GET", path, token: "ya29.forged").status == 401)
        let access = try Self.accessToken(google)
        let got = Self.publisher(google, "GET", path, token: access)
        #expect(got.status == 200)
        #expect(try json(got)["purchaseState"]?.int64Value == 0)
        #expect(try json(got)["orderId"]?.stringValue == created["orderId"]?.stringValue)
        #expect(try json(got)["productId"] == nil)
        #expect(Self.publisher(google, "GET", "/coins_1200/tokens/\(token)", token: access).status == 404)
        #expect(Self.publisher(google, "GET", "/coins_500/tokens/unknown", token: access).status == 404)
        #expect(Self.publisher(google, "POST", path + ":consume", token: access).status == 200)
        #expect(Self.publisher(google, "POST", path + ":consume", token: access).status == 400)
        let consumed = try json(Self.publisher(google, "GET", path, token: access))
        #expect(consumed["consumptionState"]?.int64Value == 1 && consumed["acknowledgementState"]?.int64Value == 1)
    }

    @Test("a pending purchase is neither consumed nor acknowledged until it completes")
    func pendingPurchase() throws {
        let google = try Self.emulator()
        let token = try #require(try Self.purchase(google, state: "pending")["purchaseToken"]?.stringValue)
        let access = try Self.accessToken(google)
        let path = "/coins_500/tokens/\(token)"
        #expect(try json(Self.publisher(google, "GET", path, token: access))["purchaseState"]?.int64Value == 2)
        #expect(Self.publisher(google, "POST", path + ":acknowledge", token: access).status == 400)
        let completed = google.control(
            makeRequest("POST", "/control/googleplay/purchases/\(token)", body: #"{"state":"purchased"}"#),
            ["purchases", token])
        #expect(completed.status == 200)
        #expect(Self.publisher(google, "POST", path + ":acknowledge", token: access).status == 200)
        #expect(Self.publisher(google, "POST", path + ":acknowledge", token: access).status == 400)
    }

    @Test("the fault switch makes every publisher call answer its 5xx until cleared")
    func faultSwitch() throws {
        let google = try Self.emulator()
        let token = try #require(try Self.purchase(google)["purchaseToken"]?.stringValue)
        let access = try Self.accessToken(google)
        let set = google.control(makeRequest("POST", "/control/googleplay/fault", body: #"{"status":503}"#), ["fault"])
        #expect(set.status == 200)
        #expect(Self.publisher(google, "GET", "/coins_500/tokens/\(token)", token: access).status == 503)
        _ = google.control(makeRequest("POST", "/control/googleplay/fault", body: #"{"status":0}"#), ["fault"])
        #expect(Self.publisher(google, "GET", "/coins_500/tokens/\(token)", token: access).status == 200)
        let bad = google.control(makeRequest("POST", "/control/googleplay/fault", body: #"{"status":404}"#), ["fault"])
        #expect(bad.status == 400)
    }

    @Test("pushes carry a base64 notification and an OIDC token any published key verifies")
    func pushes() throws {
        let receiver = RecordingService()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let google = try Self.emulator(target: "http://127.0.0.1:\(server.port)/api")
        let created = try Self.purchase(google)
        let token = try #require(created["purchaseToken"]?.stringValue)
        let certs = try json(google.handle(makeRequest("GET", "/oauth2/v1/certs")))
        let keys = try #require(certs.members).map { ($0.0, try Certificate(pem: $0.1.stringValue ?? "").publicKey) }
        #expect(keys.count == 2)

        for index in 0..<2 {
            let sent = try json(
                google.notify(
                    .object([
                        ("purchaseToken", .string(token)), ("key", .int(index)), ("messageId", .string("m\(index)")),
                    ])))
            #expect(sent["status"]?.int64Value == 200 && sent["messageId"]?.stringValue == "m\(index)")
        }
        let requests = receiver.wait(for: 2)
        try #require(requests.count == 2)
        for (index, request) in requests.enumerated() {
            #expect(request.path == "/api/googleplay-handleWebhookEvents")
            let header = try #require(request.header("authorization"))
            let jwt = try JSONWebToken.parse(String(header.dropFirst("Bearer ".count)))
            let kid = try #require(jwt.header["kid"]?.stringValue)
            #expect(kid == keys[index].0)
            let key = try #require(keys.first { $0.0 == kid }?.1)
            #expect(key.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256))
            #expect(jwt.payload["aud"]?.stringValue == "https://pay.test/api/googleplay-hook")
            #expect(jwt.payload["email"]?.stringValue == "pubsub-push@tn-sandbox.iam.gserviceaccount.com")
            #expect(jwt.payload["email_verified"]?.boolValue == true)
            let body = try JSONValue.parse(request.body)
            #expect(body.at("message.messageId")?.stringValue == "m\(index)")
            let data = try #require(Base64.decode(body.at("message.data")?.stringValue ?? ""))
            let notification = try JSONValue.parse(data)
            #expect(notification["packageName"]?.stringValue == "com.tempnumber.sandbox")
            #expect(notification.at("voidedPurchaseNotification.orderId") == created["orderId"])
            #expect(notification.at("voidedPurchaseNotification.purchaseToken")?.stringValue == token)
        }
        // A voided purchase reads as cancelled from then on.
        let summary = try json(
            google.control(makeRequest("GET", "/control/googleplay/purchases/\(token)"), ["purchases", token]))
        #expect(summary["purchaseState"]?.int64Value == 1)
    }

    @Test("forged push tokens: corrupt and rogue signatures fail, an absent one sends no header")
    func forgedPushes() throws {
        let receiver = RecordingService()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let google = try Self.emulator(target: "http://127.0.0.1:\(server.port)/api")
        let certs = try json(google.handle(makeRequest("GET", "/oauth2/v1/certs")))
        for mode in ["corrupt", "rogue", "absent"] {
            _ = google.notify(.object([("kind", .string("test")), ("signature", .string(mode))]))
        }
        let requests = receiver.wait(for: 3)
        try #require(requests.count == 3)
        for request in requests.prefix(2) {
            let jwt = try JSONWebToken.parse(String(try #require(request.header("authorization")).dropFirst(7)))
            let pem = try #require(certs[jwt.header["kid"]?.stringValue ?? ""]?.stringValue)
            #expect(
                !(try Certificate(pem: pem).publicKey.verify(
                    signature: jwt.signature, message: jwt.signingInput, algorithm: .rsaPKCS1SHA256)))
        }
        #expect(requests[2].header("authorization") == nil)
        let test = try JSONValue.parse(
            try #require(Base64.decode(try JSONValue.parse(requests[2].body).at("message.data")?.stringValue ?? "")))
        #expect(test["testNotification"] != nil)
    }
}

import Foundation
import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

@Suite("App Store emulator")
struct AppStoreEmulatorTests {
    static let leafOID = "1.2.840.113635.100.6.11.1"
    static let intermediateOID = "1.2.840.113635.100.6.2.1"

    /// An emulator writing its root and API key into a fresh directory; answers it and the API key.
    static func make(webhookTarget: String? = nil) throws -> (AppStoreEmulator, PrivateKey, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asb-\(UUID().uuidString)")
        let roots = directory.appendingPathComponent("appstore/root-certs.pem").path
        let keyPath = directory.appendingPathComponent("appstore/api-key.p8").path
        let emulator = try AppStoreEmulator(
            bundleID: "com.example.tn", appAppleID: 42, issuerID: "issuer", keyID: "KID", rootsPath: roots,
            privateKeyPath: keyPath, webhookTarget: webhookTarget, logger: Logger(label: "test"))
        let key = try PrivateKey(pem: try #require(SandboxFiles.read(keyPath)))
        return (emulator, key, roots)
    }

    static func bearer(
        _ key: PrivateKey, kid: String = "KID", lifetime: Int64 = 1200, audience: String = "appstoreconnect-v1"
    )
        throws -> String
    {
        let now = SocketIO.now()
        let token = try JSONWebToken.sign(
            header: .object([("alg", .string("ES256")), ("kid", .string(kid)), ("typ", .string("JWT"))]),
            payload: .object([
                ("iss", .string("issuer")), ("iat", .int(now)), ("exp", .int(now + lifetime)),
                ("aud", .string(audience)), ("bid", .string("com.example.tn")),
            ]), key: key, algorithm: .ecdsaSHA256Raw)
        return "Bearer " + token
    }

    /// The chain length and OIDs of a signed JWS, checked against `rootsPath`, and its payload.
    static func check(_ signed: String, rootsPath: String) throws -> (verified: Bool, payload: JSONValue) {
        let token = try JSONWebToken.parse(signed)
        let x5c = token.header["x5c"]?.arrayValue?.compactMap(\.stringValue) ?? []
        try #require(x5c.count == 3)
        let certificates = try x5c.map { try Certificate(der: Base64.decode($0) ?? []) }
        let roots = try Certificate.parseAll(pem: try #require(SandboxFiles.read(rootsPath)))
        let length = try? ChainVerifier.verify(
            leaf: certificates[0], intermediates: [certificates[1]], trustAnchors: roots, at: SocketIO.now(),
            partialChain: false, strict: true)
        let leafKey = try certificates[0].publicKey
        let verified =
            length == 3 && certificates[0].hasExtension(oid: leafOID)
            && certificates[1].hasExtension(oid: intermediateOID)
            && leafKey.verify(signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw)
        return (verified, token.payload)
    }

    @Test("minted transactions are signed by the written root with Apple's OIDs, bound to the uid")
    func mintsSignedTransactions() throws {
        let (emulator, _, roots) = try Self.make()
        let answer = try json(
            emulator.control(
                makeRequest(
                    "POST", "/control/appstore/transactions", body: #"{"productId":"coins_500","uid":"user-123"}"#),
                ["transactions"]))
        let signed = try #require(answer["signedTransaction"]?.stringValue)
        let (verified, payload) = try Self.check(signed, rootsPath: roots)
        #expect(verified)
        #expect(payload["productId"]?.stringValue == "coins_500")
        #expect(payload["bundleId"]?.stringValue == "com.example.tn")
        #expect(payload["environment"]?.stringValue == "Sandbox")
        #expect(payload["appAccountToken"]?.stringValue == "7ca4be7c-72b1-5fb0-a0c9-15b8194c4d9a")
        #expect(payload["transactionId"]?.stringValue == answer["transactionId"]?.stringValue)
    }

    @Test(
        "every forged signer fails the checks the responder makes",
        arguments: [
            "rogueRoot", "rogueIntermediate", "noLeafOID", "noIntermediateOID",
        ])
    func forgeries(signer: String) throws {
        let (emulator, _, roots) = try Self.make()
        let answer = try json(
            emulator.control(
                makeRequest(
                    "POST", "/control/appstore/transactions",
                    body: #"{"productId":"coins_500","uid":"u","signer":"\#(signer)"}"#), ["transactions"]))
        #expect(try !Self.check(try #require(answer["signedTransaction"]?.stringValue), rootsPath: roots).verified)
    }

    @Test("a restarted sandbox keeps the root it wrote")
    func rootIsReused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asr-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("root.pem").path
        let first = try AppStoreCertificateChain(rootsPath: path)
        let second = try AppStoreCertificateChain(rootsPath: path)
        #expect(first.rootPEM == second.rootPEM)
        #expect(SandboxFiles.read(path) == first.rootPEM)
    }

    @Test("the Server API answers signedTransactionInfo behind a valid bearer JWT only")
    func serverAPI() throws {
        let (emulator, key, roots) = try Self.make()
        let created = try json(
            emulator.control(
                makeRequest("POST", "/control/appstore/transactions", body: #"{"productId":"coins_1200","uid":"u"}"#),
                ["transactions"]))
        let id = try #require(created["transactionId"]?.stringValue)
        let path = "/inApps/v1/transactions/\(id)"
        let ok = emulator.handle(makeRequest("GET", path, headers: [("Authorization", try Self.bearer(key))]))
        #expect(ok.status == 200)
        let info = try #require(try json(ok)["signedTransactionInfo"]?.stringValue)
        #expect(try Self.check(info, rootsPath: roots).payload["transactionId"]?.stringValue == id)

        let other = try PrivateKey.generateP256()
        for header in [
            try Self.bearer(other), try Self.bearer(key, kid: "OTHER"), try Self.bearer(key, lifetime: 3601),
            try Self.bearer(key, audience: "appstoreconnect-v2"), "Basic abc",
        ] {
            #expect(emulator.handle(makeRequest("GET", path, headers: [("Authorization", header)])).status == 401)
        }
        #expect(emulator.handle(makeRequest("GET", path)).status == 401)

        let missing = emulator.handle(
            makeRequest("GET", "/inApps/v1/transactions/999", headers: [("Authorization", try Self.bearer(key))]))
        #expect(missing.status == 404)
        #expect(try json(missing)["errorCode"]?.int64Value == 4_040_010)

        _ = emulator.control(makeRequest("POST", "/control/appstore", body: #"{"fail":true}"#), [])
        #expect(
            emulator.handle(makeRequest("GET", path, headers: [("Authorization", try Self.bearer(key))])).status == 500)
        _ = emulator.control(makeRequest("POST", "/control/appstore", body: #"{"fail":false}"#), [])
        #expect(
            emulator.handle(makeRequest("GET", path, headers: [("Authorization", try Self.bearer(key))])).status == 200)
    }

    @Test("REFUND and REFUND_REVERSED notifications carry the transaction and are POSTed as signedPayload")
    func notifications() throws {
        let receiver = RecordingService()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let (emulator, _, roots) = try Self.make(webhookTarget: "http://127.0.0.1:\(server.port)/api")
        let created = try json(
            emulator.control(
                makeRequest("POST", "/control/appstore/transactions", body: #"{"productId":"coins_500","uid":"u"}"#),
                ["transactions"]))
        let id = try #require(created["transactionId"]?.stringValue)

        let refund = try json(
            emulator.control(
                makeRequest("POST", "/control/appstore/notify", body: #"{"transactionId":"\#(id)"}"#), ["notify"]))
        #expect(refund["status"]?.int64Value == 200)
        let requests = receiver.wait(for: 1)
        try #require(requests.count == 1)
        #expect(requests[0].path == "/api/appstore-handleWebhookEvents")
        let delivered = try #require(try JSONValue.parse(requests[0].body)["signedPayload"]?.stringValue)
        #expect(delivered == refund["signedPayload"]?.stringValue)
        let (verified, payload) = try Self.check(delivered, rootsPath: roots)
        #expect(verified)
        #expect(payload["notificationType"]?.stringValue == "REFUND")
        #expect(payload["notificationUUID"]?.stringValue == refund["notificationUUID"]?.stringValue)
        #expect(payload.at("data.appAppleId")?.int64Value == 42)
        let inner = try Self.check(
            try #require(payload.at("data.signedTransactionInfo")?.stringValue), rootsPath: roots)
        #expect(inner.verified)
        #expect(inner.payload["revocationDate"]?.int64Value != nil)

        let reversed = try json(
            emulator.control(
                makeRequest(
                    "POST", "/control/appstore/notify",
                    body:
                        #"{"transactionId":"\#(id)","notificationType":"REFUND_REVERSED","deliver":false,"tamper":true}"#
                ),
                ["notify"]))
        #expect(reversed["status"] == nil)
        let tampered = try Self.check(try #require(reversed["signedPayload"]?.stringValue), rootsPath: roots)
        #expect(!tampered.verified)
        #expect(tampered.payload["notificationType"]?.stringValue == "REFUND_REVERSED")
        let stored = try json(
            emulator.control(makeRequest("GET", "/control/appstore/transactions/\(id)"), ["transactions", id]))
        #expect(stored["revocationDate"] == nil)
    }
}

import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// The webhook verifier: the official PayPal-signed vector, CRC-32, the cert-URL allow-list, CN and chain checks.
@Suite struct PayPalSignatureTests {
    static let vectorSignature =
        "K7DF5+hOyGS6v0xTZ9PkEO+BFNQmpryxw2hFlXbHgmxpu+883ldEC9HcL6ccEmB8sfy80y/Q3qcZZL1MR8Qi0e1ysylVj/yROgKK6zBsQPo"
        + "NmgXC8yTiNoAjULuhk5Aoau0Itk3nrkgAfji1zvADlErMFM9VZe2nDvhM3nDMLjCi/K5fRjWp3eGo6Nx17GX/WIEibeKDyS+YdJMex3i+"
        + "KO4aWmm9zznC/FJ5Y/ntd0MxOJNrM0r0f3y7c3e3sO5pB3oPgN6KzKVS5P6AWHqtS8acD3DjgCKZ1uqKz7q954G1aBz2/m0wRGOFFsv0/"
        + "D3FE2uIheRRmoQtVSOAX7Aupg=="
    static let vectorCertURL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
    /// 2019-08-29T10:49:33Z, the transmission time; the certificate expired in 2021.
    static let vectorTime: Int64 = 1_567_075_773

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/paypal/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func services(_ transport: FakeTransport) -> GatewayServices {
        GatewayServices(
            core: CoreConfiguration(), transport: transport,
            authenticator: FixedAuthenticator(
                user: AuthenticatedUser(uid: "u", emailVerified: true, signInProvider: "x")),
            recaptcha: PassRecaptcha())
    }

    static func verifier(
        webhookID: String, hosts: Set<String>, anchors: [Certificate], transport: FakeTransport,
        suffix: String = ".paypal.com"
    ) -> PayPalSignature {
        let store = PayPalCertificateStore(
            allowedHosts: hosts, commonNameSuffix: suffix, trustRoots: anchors,
            service: services(transport).outbound("paypal-certs"))
        return PayPalSignature(webhookID: webhookID, certificates: store)
    }

    static func vectorHeaders() -> [String: String] {
        [
            "paypal-transmission-id": "afa30d40-ca4a-11e9-ab68-7d4e2605c70c",
            "paypal-transmission-time": "2019-08-29T10:49:33Z",
            "paypal-transmission-sig": vectorSignature, "paypal-cert-url": vectorCertURL,
            "paypal-auth-algo": "SHA256withRSA",
        ]
    }

    @Test func crc32MatchesZlib() throws {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(try Self.fixture("webhook-body.json")) == 3_674_300_368)
        let message = PayPalSignature.message(
            transmissionID: "a", transmissionTime: "t", webhookID: "w", body: Array("123456789".utf8))
        #expect(String(decoding: message, as: UTF8.self) == "a|t|w|3421780262")
    }

    @Test func officialVectorVerifiesThroughTheWebhookVerifier() throws {
        let pem = String(decoding: try Self.fixture("clientCertTest.crt"), as: UTF8.self)
        let cert = try Certificate(pem: pem)
        let body = try Self.fixture("webhook-body.json")
        let transport = FakeTransport { request in
            request.url == Self.vectorCertURL
                ? HTTPResponse(status: 200, body: Array(pem.utf8)) : HTTPResponse(status: 404)
        }
        let headers = Self.vectorHeaders()
        let good = Self.verifier(
            webhookID: "0FV983392A0531201", hosts: ["api.sandbox.paypal.com"], anchors: [cert], transport: transport)
        try good.verify(header: { headers[$0] }, body: body, now: Self.vectorTime)

        let wrongID = Self.verifier(
            webhookID: "NotToBeFound", hosts: ["api.sandbox.paypal.com"], anchors: [cert], transport: transport)
        #expect(throws: PayPalSignature.Failure.mismatch) {
            try wrongID.verify(header: { headers[$0] }, body: body, now: Self.vectorTime)
        }
        var tampered = body
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: PayPalSignature.Failure.mismatch) {
            try good.verify(header: { headers[$0] }, body: tampered, now: Self.vectorTime)
        }
        // Today the same delivery is refused: its transmission time is years old and the certificate has expired.
        #expect(throws: PayPalSignature.Failure.self) {
            try good.verify(header: { headers[$0] }, body: body, now: 1_700_000_000)
        }
        // A flipped signature bit fails too.
        var badSig = headers
        badSig["paypal-transmission-sig"] = "A" + Self.vectorSignature.dropFirst()
        #expect(throws: PayPalSignature.Failure.mismatch) {
            try good.verify(header: { badSig[$0] }, body: body, now: Self.vectorTime)
        }
    }

    @Test func certificateURLAllowList() throws {
        let hosts: Set<String> = ["api.paypal.com", "127.0.0.1"]
        try PayPalCertificateStore.checkURL("https://API.PayPal.com/v1/notifications/certs/x", allowedHosts: hosts)
        try PayPalCertificateStore.checkURL("https://api.paypal.com:8443/v1/notifications/certs/x", allowedHosts: hosts)
        try PayPalCertificateStore.checkURL("http://127.0.0.1:18102/v1/notifications/certs/x", allowedHosts: hosts)
        for bad in [
            "http://api.paypal.com/v1/notifications/certs/x", "https://evil.example/v1/x",
            "https://api.paypal.com.evil.example/x",
            "https://api.paypal.com@evil.example/x", "ftp://api.paypal.com/x", "api.paypal.com/x",
            "http://localhost:18102/x",
        ] {
            #expect(throws: PayPalSignature.Failure.self, "\(bad)") {
                try PayPalCertificateStore.checkURL(bad, allowedHosts: hosts)
            }
        }
    }

    @Test func aDisallowedHostIsRejectedWithoutAnyFetch() throws {
        let chain = PayPalTestChain.shared
        let transport = FakeTransport { _ in HTTPResponse(status: 200, body: Array(chain.servedPEM.utf8)) }
        let verifier = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.root], transport: transport)
        let body = Array(#"{"id":"WH-1"}"#.utf8)
        for url in ["https://evil.example/v1/notifications/certs/a", "http://api.paypal.com/v1/notifications/certs/a"] {
            let headers = try chain.headers(body: body, webhookID: "WH-ID", certURL: url)
            #expect(throws: PayPalSignature.Failure.self) {
                try verifier.verify(header: { headers[$0] }, body: body, now: Int64(Date().timeIntervalSince1970))
            }
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func generatedChainVerifiesAndIsCachedPerURL() throws {
        let chain = PayPalTestChain.shared
        let url = "https://api.paypal.com/v1/notifications/certs/CERT-1"
        let transport = FakeTransport { _ in HTTPResponse(status: 200, body: Array(chain.servedPEM.utf8)) }
        let verifier = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.root], transport: transport)
        let body = Array(#"{"id":"WH-1"}"#.utf8)
        let now = Int64(Date().timeIntervalSince1970)
        for _ in 0..<3 {
            let headers = try chain.headers(body: body, webhookID: "WH-ID", certURL: url)
            try verifier.verify(header: { headers[$0] }, body: body, now: now)
        }
        #expect(transport.requests.count == 1)
        #expect(transport.requests.first?.timeout == 5 && transport.requests.first?.maxResponseBytes == 65_536)
        // The intermediate alone is an acceptable anchor (partial chain).
        let partial = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.intermediate], transport: transport)
        let headers = try chain.headers(body: body, webhookID: "WH-ID", certURL: url)
        try partial.verify(header: { headers[$0] }, body: body, now: now)
        // Wrong algorithm name, missing header.
        var other = headers
        other["paypal-auth-algo"] = "SHA1withRSA"
        #expect(throws: PayPalSignature.Failure.unsupportedAlgorithm("SHA1withRSA")) {
            try verifier.verify(header: { other[$0] }, body: body, now: now)
        }
        other = headers
        other["paypal-transmission-id"] = nil
        #expect(throws: PayPalSignature.Failure.missingHeader("paypal-transmission-id")) {
            try verifier.verify(header: { other[$0] }, body: body, now: now)
        }
    }

    @Test func chainNotToTheRootExpiredLeafWrongCNAndWrongKeyFail() throws {
        let chain = PayPalTestChain.shared
        let rogue = PayPalTestChain.rogue
        let body = Array(#"{"id":"WH-2"}"#.utf8)
        let now = Int64(Date().timeIntervalSince1970)
        // A rogue chain (its own root) is not trusted.
        let rogueTransport = FakeTransport { _ in HTTPResponse(status: 200, body: Array(rogue.servedPEM.utf8)) }
        let trustsGenuine = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.root], transport: rogueTransport)
        let rogueHeaders = try rogue.headers(
            body: body, webhookID: "WH-ID", certURL: "https://api.paypal.com/v1/notifications/certs/CERT-rogue")
        #expect(throws: PayPalSignature.Failure.self) {
            try trustsGenuine.verify(header: { rogueHeaders[$0] }, body: body, now: now)
        }
        // The genuine certificate with a signature by another key.
        let genuineTransport = FakeTransport { _ in HTTPResponse(status: 200, body: Array(chain.servedPEM.utf8)) }
        let verifier = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.root], transport: genuineTransport)
        let genuineURL = "https://api.paypal.com/v1/notifications/certs/CERT-genuine"
        let wrongKey = try rogue.headers(body: body, webhookID: "WH-ID", certURL: genuineURL)
        #expect(throws: PayPalSignature.Failure.mismatch) {
            try verifier.verify(header: { wrongKey[$0] }, body: body, now: now)
        }
        // Expired leaf: the same chain checked after the leaf's end of validity.
        let late = try chain.headers(body: body, webhookID: "WH-ID", certURL: genuineURL, at: chain.leaf.notAfter + 60)
        #expect(throws: PayPalSignature.Failure.self) {
            try verifier.verify(header: { late[$0] }, body: body, now: chain.leaf.notAfter + 60)
        }
        let good = try chain.headers(body: body, webhookID: "WH-ID", certURL: genuineURL)
        // A CN suffix the chain does not meet.
        let strict = Self.verifier(
            webhookID: "WH-ID", hosts: ["api.paypal.com"], anchors: [chain.root], transport: genuineTransport,
            suffix: ".paypal.example")
        #expect(throws: PayPalSignature.Failure.self) { try strict.verify(header: { good[$0] }, body: body, now: now) }
        try verifier.verify(header: { good[$0] }, body: body, now: now)
    }

    @Test func aLeafWithTheWrongCommonNameIsRejected() throws {
        let rootKey = try PrivateKey.generateRSA()
        let leafKey = try PrivateKey.generateRSA()
        let root = try Certificate.issue(
            commonName: "R", subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 30)
        let leaf = try Certificate.issue(
            commonName: "messageverificationcerts.paypal.com.evil.example", subjectKey: leafKey, issuer: root,
            issuerKey: rootKey, isCA: false, days: 30)
        let transport = FakeTransport { _ in HTTPResponse(status: 200, body: Array(leaf.pem.utf8)) }
        let verifier = Self.verifier(webhookID: "W", hosts: ["api.paypal.com"], anchors: [root], transport: transport)
        let body = Array("{}".utf8)
        let now = Int64(Date().timeIntervalSince1970)
        let time = PayPalTestChain.transmissionTime(now)
        let message = PayPalSignature.message(transmissionID: "t", transmissionTime: time, webhookID: "W", body: body)
        let headers = [
            "paypal-transmission-id": "t", "paypal-transmission-time": time,
            "paypal-cert-url": "https://api.paypal.com/v1/notifications/certs/CERT-wrong-cn",
            "paypal-auth-algo": "SHA256withRSA",
            "paypal-transmission-sig": Base64.encode(try leafKey.sign(message, algorithm: .rsaPKCS1SHA256)),
        ]
        #expect(throws: PayPalSignature.Failure.self) {
            try verifier.verify(header: { headers[$0] }, body: body, now: now)
        }
    }
}

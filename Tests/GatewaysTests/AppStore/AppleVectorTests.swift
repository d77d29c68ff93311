import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// Apple's own test data from its app-store-server-library (see Fixtures/appstore/README.md).
@Suite struct AppleVectorTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/appstore/\(name)")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    /// `NAME base64` lines of `x509-chains.txt`.
    static func chains() throws -> [String: String] {
        var table: [String: String] = [:]
        for line in try fixture("x509-chains.txt").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
        }
        return table
    }

    static let effectiveDate: Int64 = 1_761_962_975

    struct MissingVector: Error {}

    /// One DER certificate from standard base64.
    static func certificate(_ base64: String?) throws -> Certificate {
        guard let base64, let der = Base64.decode(base64) else { throw MissingVector() }
        return try Certificate(der: der)
    }

    /// Apple's test CA: the third `x5c` certificate of its mock notification, configured as the trusted root.
    static func testCA(of signed: String) throws -> Certificate {
        let token = try JSONWebToken.parse(signed)
        return try certificate(token.header["x5c"]?.arrayValue?.last?.stringValue)
    }

    static func verifier(
        root: Certificate, bundleID: String = "com.example", appAppleID: Int64? = 1234,
        environments: Set<AppStoreEnvironment> = [.sandbox]
    ) -> AppStoreSignedDataVerifier {
        // Apple's tests turn strict checks off: the mock certificates carry no key identifiers.
        AppStoreSignedDataVerifier(
            rootCertificates: [root], bundleID: bundleID, appAppleID: appAppleID, environments: environments,
            strictChecks: false)
    }

    @Test func appleTestNotificationVerifies() throws {
        let signed = try Self.fixture("testNotification")
        let notification = try Self.verifier(root: try Self.testCA(of: signed)).verifyNotification(signed)
        #expect(notification.rawNotificationType == "TEST")
        #expect(notification.notificationUUID == "9ad56bd2-0bc6-42e0-af24-fd996d87a1e6")
        #expect(notification.signedDate == 1_681_314_324_000)
        #expect(notification.bundleID == "com.example")
        #expect(notification.appAppleID == 1234)
    }

    @Test func appleTestNotificationRefusals() throws {
        let signed = try Self.fixture("testNotification")
        let root = try Self.testCA(of: signed)
        // Apple's expectations: Production verifier → INVALID_ENVIRONMENT; bundle com.examplex → INVALID_APP_IDENTIFIER.
        #expect(
            refusal { _ = try Self.verifier(root: root, environments: [.production]).verifyNotification(signed) }
                == .invalidEnvironment)
        #expect(
            refusal { _ = try Self.verifier(root: root, bundleID: "com.examplex").verifyNotification(signed) }
                == .invalidAppIdentifier)
        // Strict RFC 5280 checks (the production default) refuse Apple's identifier-less mock chain.
        let strict = AppStoreSignedDataVerifier(
            rootCertificates: [root], bundleID: "com.example", appAppleID: 1234, environments: [.sandbox])
        #expect(refusal { _ = try strict.verifyNotification(signed) } == .verificationFailure)
        // Under another root (the real Apple root) it is a forgery.
        let apple = try Self.certificate(try Self.chains()["REAL_APPLE_ROOT"])
        #expect(refusal { _ = try Self.verifier(root: apple).verifyNotification(signed) } == .verificationFailure)
    }

    func key(_ names: [String], root: String = "ROOT_CA", at time: Int64 = effectiveDate, strict: Bool = false) throws
        -> PublicKey
    {
        let table = try Self.chains()
        let x5c = try names.map { try #require(table[$0]) }
        let anchor = try Self.certificate(table[root])
        let verifier = AppStoreSignedDataVerifier(
            rootCertificates: [anchor], bundleID: "com.example", appAppleID: nil, environments: [.sandbox],
            strictChecks: strict)
        return try verifier.signingKey(x5c: x5c, at: time)
    }

    @Test func appleValidChainGivesTheLeafKey() throws {
        let key = try key(["LEAF_CERT", "INTERMEDIATE_CA", "ROOT_CA"])
        #expect(key.pem.contains("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4rWBxGmFbnPIPQI0zsBKzLxsj8pD"))
    }

    @Test func appleChainVectorsThatMustFail() throws {
        #expect(
            refusal {
                _ = try key(["LEAF_CERT_FOR_INTERMEDIATE_CA_INVALID_OID", "INTERMEDIATE_CA_INVALID_OID", "ROOT_CA"])
            }
                == .verificationFailure)
        #expect(
            refusal { _ = try key(["LEAF_CERT_INVALID_OID", "INTERMEDIATE_CA", "ROOT_CA"]) } == .verificationFailure)
        #expect(refusal { _ = try key(["INTERMEDIATE_CA", "ROOT_CA"]) } == .invalidJWTFormat)
        #expect(
            refusal { _ = try key(["LEAF_CERT", "INTERMEDIATE_CA", "ROOT_CA"], root: "REAL_APPLE_ROOT") }
                == .verificationFailure)
        #expect(
            refusal { _ = try key(["LEAF_CERT", "INTERMEDIATE_CA", "ROOT_CA"], at: 2_280_946_846) }
                == .verificationFailure)
    }

    @Test func realAppleChainPassesStrictChecksAtItsDate() throws {
        let names = ["REAL_APPLE_SIGNING_CERTIFICATE", "REAL_APPLE_INTERMEDIATE", "REAL_APPLE_ROOT"]
        let key = try key(names, root: "REAL_APPLE_ROOT", strict: true)
        #expect(key.curveName == "prime256v1")
        // The real root is P-384 (Apple Root CA - G3), and so is the WWDR G6 intermediate.
        let root = try Self.certificate(try Self.chains()["REAL_APPLE_ROOT"])
        #expect(try root.publicKey.curveName == "secp384r1")
        // Before the leaf's validity (2025-09-19) it is refused.
        #expect(
            refusal { _ = try self.key(names, root: "REAL_APPLE_ROOT", at: 1_700_000_000, strict: true) }
                == .verificationFailure)
    }
}

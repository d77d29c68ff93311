import Signing
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct CertificateTests {
    /// root (RSA) → intermediate (P-256) → leaf (P-256, with Apple's marker OID as a custom extension).
    struct Chain {
        let rootKey: PrivateKey
        let root: Certificate
        let intermediate: Certificate
        let leaf: Certificate
    }

    static let markerOID = "1.2.840.113635.100.6.11.1"

    static func makeChain() throws -> Chain {
        let rootKey = try #require(TestKeys.rsa)
        let intermediateKey = try #require(TestKeys.p256)
        let leafKey = try #require(TestKeys.otherP256)
        let root = try Certificate.issue(
            commonName: "Test Root", subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 3650)
        let intermediate = try Certificate.issue(
            commonName: "Test Intermediate", subjectKey: intermediateKey, issuer: root, issuerKey: rootKey, isCA: true,
            days: 1825)
        let leaf = try Certificate.issue(
            commonName: "Test Leaf", subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey, isCA: false,
            days: 365, extraExtensions: [(oid: markerOID, der: [0x05, 0x00])])
        return Chain(rootKey: rootKey, root: root, intermediate: intermediate, leaf: leaf)
    }

    private var now: Int64 { Int64(time(nil)) }

    @Test func threeLevelChainVerifies() throws {
        let chain = try Self.makeChain()
        for strict in [false, true] {
            try ChainVerifier.verify(
                leaf: chain.leaf, intermediates: [chain.intermediate], trustAnchors: [chain.root], at: now,
                partialChain: false, strict: strict)
        }
    }

    @Test func wrongRootFails() throws {
        let chain = try Self.makeChain()
        let otherKey = try #require(TestKeys.p256)
        let otherRoot = try Certificate.issue(
            commonName: "Test Root", subjectKey: otherKey, issuer: nil, issuerKey: otherKey, isCA: true, days: 3650)
        #expect(throws: OpenSSLError.self) {
            try ChainVerifier.verify(
                leaf: chain.leaf, intermediates: [chain.intermediate], trustAnchors: [otherRoot], at: now,
                partialChain: false, strict: true)
        }
    }

    @Test func missingIntermediateFails() throws {
        let chain = try Self.makeChain()
        #expect(throws: OpenSSLError.self) {
            try ChainVerifier.verify(
                leaf: chain.leaf, intermediates: [], trustAnchors: [chain.root], at: now, partialChain: false,
                strict: true)
        }
    }

    @Test(arguments: [-2 * 3600, 366 * 86_400])
    func outsideValidityFails(offset: Int) throws {
        let chain = try Self.makeChain()
        #expect(throws: OpenSSLError.self) {
            try ChainVerifier.verify(
                leaf: chain.leaf, intermediates: [chain.intermediate], trustAnchors: [chain.root],
                at: now + Int64(offset), partialChain: false, strict: true)
        }
    }

    @Test func intermediateAsAnchorNeedsPartialChain() throws {
        let chain = try Self.makeChain()
        try ChainVerifier.verify(
            leaf: chain.leaf, intermediates: [], trustAnchors: [chain.intermediate], at: now, partialChain: true,
            strict: true)
        #expect(throws: OpenSSLError.self) {
            try ChainVerifier.verify(
                leaf: chain.leaf, intermediates: [], trustAnchors: [chain.intermediate], at: now, partialChain: false,
                strict: true)
        }
    }

    @Test func leafAsIntermediateCannotIssue() throws {
        // A CA:FALSE certificate must not be accepted as an issuer.
        let chain = try Self.makeChain()
        let leafKey = try #require(TestKeys.otherP256)
        let rogue = try Certificate.issue(
            commonName: "Rogue", subjectKey: leafKey, issuer: chain.leaf, issuerKey: leafKey, isCA: false, days: 30)
        #expect(throws: OpenSSLError.self) {
            try ChainVerifier.verify(
                leaf: rogue, intermediates: [chain.leaf, chain.intermediate], trustAnchors: [chain.root], at: now,
                partialChain: false, strict: false)
        }
    }

    @Test func fieldsAndExtensions() throws {
        let chain = try Self.makeChain()
        #expect(chain.leaf.subjectCommonName == "Test Leaf")
        #expect(chain.root.subjectCommonName == "Test Root")
        #expect(chain.leaf.hasExtension(oid: Self.markerOID))
        #expect(!chain.intermediate.hasExtension(oid: Self.markerOID))
        #expect(chain.leaf.hasExtension(oid: "2.5.29.19"))  // basicConstraints
        #expect(!chain.leaf.hasExtension(oid: "not an oid"))
        #expect(abs(chain.leaf.notBefore - (now - 3600)) < 60)
        #expect(abs(chain.leaf.notAfter - (now + 365 * 86_400)) < 60)
        let message = Array("signed by the leaf".utf8)
        let signature = try #require(TestKeys.otherP256).sign(message, algorithm: .ecdsaSHA256Raw)
        #expect(try chain.leaf.publicKey.verify(signature: signature, message: message, algorithm: .ecdsaSHA256Raw))
    }

    @Test func encodingsRoundTrip() throws {
        let chain = try Self.makeChain()
        let fromDER = try Certificate(der: chain.leaf.der)
        #expect(fromDER.pem == chain.leaf.pem)
        let fromPEM = try Certificate(pem: chain.leaf.pem)
        #expect(fromPEM.der == chain.leaf.der)
        let bundle = try Certificate.parseAll(pem: chain.leaf.pem + chain.intermediate.pem + chain.root.pem)
        #expect(bundle.map(\.subjectCommonName) == ["Test Leaf", "Test Intermediate", "Test Root"])
        #expect(throws: OpenSSLError.self) { try Certificate.parseAll(pem: "no certificates here") }
        #expect(throws: OpenSSLError.self) { try Certificate(der: chain.leaf.der + [0]) }
        #expect(throws: OpenSSLError.self) { try Certificate(der: Array(chain.leaf.der.dropLast())) }
        #expect(throws: OpenSSLError.self) {
            try Certificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        }
    }
}

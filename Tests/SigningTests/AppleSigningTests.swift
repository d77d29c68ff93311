import Testing

@testable import Signing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The primitives the App Store needs: P-384 keys and chains, ES256/ES384-size raw signatures, curve names, the
/// verified path length and UUIDv5.
@Suite struct AppleSigningTests {
    private let message = Array("header.payload".utf8)

    @Test func p384RawSignatureIsNinetySixBytesAndVerifies() throws {
        let key = try PrivateKey.generateP384()
        #expect(key.publicKey.curveName == "secp384r1")
        let raw = try key.sign(message, algorithm: .ecdsaSHA256Raw)
        #expect(raw.count == 96)
        #expect(key.publicKey.verify(signature: raw, message: message, algorithm: .ecdsaSHA256Raw))
        #expect(!key.publicKey.verify(signature: Array(raw.prefix(64)), message: message, algorithm: .ecdsaSHA256Raw))
        var tampered = raw
        tampered[50] ^= 0x01
        #expect(!key.publicKey.verify(signature: tampered, message: message, algorithm: .ecdsaSHA256Raw))
    }

    @Test func curveNames() throws {
        #expect(try PrivateKey.generateP256().publicKey.curveName == "prime256v1")
        #expect(try #require(TestKeys.rsa).publicKey.curveName == nil)
    }

    /// Raw `r || s` ⇄ DER, both ways, with small components that need left padding and DER's sign byte.
    @Test(arguments: [32, 48])
    func rawAndDERConvert(componentSize: Int) throws {
        var raw = [UInt8](repeating: 0, count: 2 * componentSize)
        raw[componentSize - 1] = 0x01  // r = 1
        raw[componentSize] = 0x80  // s has its top bit set: DER adds a 0x00
        let der = try #require(ECDSASignature.der(fromRaw: raw, componentSize: componentSize))
        let expectedS = [0x02, UInt8(componentSize + 1), 0x00] + Array(raw[componentSize...])
        #expect(der == [0x30, UInt8(3 + expectedS.count), 0x02, 0x01, 0x01] + expectedS)
        #expect(try ECDSASignature.raw(fromDER: der, componentSize: componentSize) == raw)
        #expect(ECDSASignature.der(fromRaw: Array(raw.dropLast()), componentSize: componentSize) == nil)
    }

    @Test func p384IssuersSignWithSHA384AndThePathLengthIsReported() throws {
        let rootKey = try PrivateKey.generateP384()
        let intermediateKey = try PrivateKey.generateP384()
        let leafKey = try PrivateKey.generateP256()
        let root = try Certificate.issue(
            commonName: "P-384 Root", subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 30)
        let intermediate = try Certificate.issue(
            commonName: "P-384 Intermediate", subjectKey: intermediateKey, issuer: root, issuerKey: rootKey,
            isCA: true, days: 30)
        let leaf = try Certificate.issue(
            commonName: "P-256 Leaf", subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey,
            isCA: false, days: 30)
        // ecdsa-with-SHA384 (1.2.840.10045.4.3.3) in the DER of a P-384-signed certificate.
        let sha384OID: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]
        #expect(intermediate.der.contains(subsequence: sha384OID))
        let length = try ChainVerifier.verify(
            leaf: leaf, intermediates: [intermediate], trustAnchors: [root], at: Int64(time(nil)),
            partialChain: false, strict: true)
        #expect(length == 3)
        let direct = try Certificate.issue(
            commonName: "Direct Leaf", subjectKey: leafKey, issuer: root, issuerKey: rootKey, isCA: false, days: 30)
        #expect(
            try ChainVerifier.verify(
                leaf: direct, intermediates: [intermediate], trustAnchors: [root], at: Int64(time(nil)),
                partialChain: false, strict: true) == 2)
    }

    /// RFC 4122 / Python `uuid.uuid5` vectors.
    @Test func uuidV5() {
        let dns: [UInt8] = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ]
        #expect(UUIDv5.make(namespace: dns, name: Array("python.org".utf8)) == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        #expect(
            UUIDv5.make(namespace: UUIDv5.urlNamespace, name: Array("http://python.org/".utf8))
                == "4c565f0d-3f5a-5890-b41b-20cf47701c5e")
        let v4 = SecureRandom.uuidV4()
        #expect(v4.count == 36 && Array(v4)[14] == "4")
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}

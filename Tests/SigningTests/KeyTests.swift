import Signing
import Testing

@Suite struct KeyTests {
    private let message = Array("header.payload".utf8)

    @Test func rsaSignVerifyRoundTrip() throws {
        let key = try #require(TestKeys.rsa)
        let signature = try key.sign(message, algorithm: .rsaPKCS1SHA256)
        #expect(signature.count == 256)
        #expect(key.publicKey.verify(signature: signature, message: message, algorithm: .rsaPKCS1SHA256))
        #expect(!key.publicKey.verify(signature: signature, message: message + [0x2e], algorithm: .rsaPKCS1SHA256))
        var tampered = signature
        tampered[10] ^= 0x01
        #expect(!key.publicKey.verify(signature: tampered, message: message, algorithm: .rsaPKCS1SHA256))
        // An RSA key never checks an ECDSA signature, whatever the bytes.
        #expect(!key.publicKey.verify(signature: signature, message: message, algorithm: .ecdsaSHA256DER))
    }

    @Test func p256DERSignVerifyRoundTrip() throws {
        let key = try #require(TestKeys.p256)
        let signature = try key.sign(message, algorithm: .ecdsaSHA256DER)
        #expect(signature.first == 0x30)
        #expect(key.publicKey.verify(signature: signature, message: message, algorithm: .ecdsaSHA256DER))
        #expect(!key.publicKey.verify(signature: signature, message: Array("other".utf8), algorithm: .ecdsaSHA256DER))
        let other = try #require(TestKeys.otherP256)
        #expect(!other.publicKey.verify(signature: signature, message: message, algorithm: .ecdsaSHA256DER))
    }

    @Test func p256RawSignatureIsSixtyFourBytesAndVerifies() throws {
        let key = try #require(TestKeys.p256)
        for _ in 0..<8 {
            let raw = try key.sign(message, algorithm: .ecdsaSHA256Raw)
            #expect(raw.count == 64)
            #expect(key.publicKey.verify(signature: raw, message: message, algorithm: .ecdsaSHA256Raw))
            #expect(!key.publicKey.verify(signature: raw, message: message, algorithm: .ecdsaSHA256DER))
            var tampered = raw
            tampered[63] ^= 0x01
            #expect(!key.publicKey.verify(signature: tampered, message: message, algorithm: .ecdsaSHA256Raw))
            #expect(
                !key.publicKey.verify(signature: Array(raw.dropLast()), message: message, algorithm: .ecdsaSHA256Raw))
            #expect(!key.publicKey.verify(signature: raw, message: message + [1], algorithm: .ecdsaSHA256Raw))
        }
    }

    @Test func signingWithMismatchedAlgorithmThrows() throws {
        let rsa = try #require(TestKeys.rsa)
        let ec = try #require(TestKeys.p256)
        #expect(throws: OpenSSLError.self) { try rsa.sign(message, algorithm: .ecdsaSHA256Raw) }
        #expect(throws: OpenSSLError.self) { try ec.sign(message, algorithm: .rsaPKCS1SHA256) }
    }

    @Test func pemRoundTrips() throws {
        for key in [try #require(TestKeys.rsa), try #require(TestKeys.p256)] {
            #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
            let reloaded = try PrivateKey(pem: key.pem)
            #expect(reloaded.pem == key.pem)
            let publicKey = try PublicKey(pem: key.publicKey.pem)
            #expect(publicKey.pem.hasPrefix("-----BEGIN PUBLIC KEY-----"))
            #expect(publicKey.pem == key.publicKey.pem)
            let algorithm: SignatureAlgorithm = key === TestKeys.rsa ? .rsaPKCS1SHA256 : .ecdsaSHA256Raw
            let signature = try reloaded.sign(message, algorithm: algorithm)
            #expect(publicKey.verify(signature: signature, message: message, algorithm: algorithm))
        }
    }

    @Test func invalidPEMThrows() {
        #expect(throws: OpenSSLError.self) { try PublicKey(pem: "not a key") }
        #expect(throws: OpenSSLError.self) {
            try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
    }
}

import Signing
import Testing

@Suite struct DigestTests {
    private let abc = Array("abc".utf8)

    @Test func sha256OfABC() {
        #expect(Hex.encode(Digest.sha256(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha1OfABC() {
        #expect(Hex.encode(Digest.sha1(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func md5OfABC() {
        #expect(Hex.encode(Digest.md5(abc)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func sha256OfEmptyInput() {
        #expect(Hex.encode(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// RFC 4231 §4.2, §4.3, §4.7 (HMAC-SHA-256 rows).
    @Test(arguments: [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
    ])
    func hmacSHA256RFC4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(Hex.encode(HMAC.sha256(key: key, message: message)) == expected)
    }

    /// The locally computed Stripe vector of the gateway research (§1.7): key is the whole `whsec_` secret.
    @Test func stripeWebhookSignature() {
        let payload = "1700000000." + #"{"id":"evt_test_webhook","object":"event"}"#
        let mac = HMAC.sha256(key: Array("whsec_test_secret".utf8), message: Array(payload.utf8))
        #expect(Hex.encode(mac) == "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990")
    }

    @Test func hmacWithEmptyKeyAndMessage() {
        // An empty key and message must not be refused; value from Python's hmac module.
        #expect(
            Hex.encode(HMAC.sha256(key: [], message: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func constantTimeEquality() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }
}

import Dispatch
import Signing
import Synchronization
import Testing

/// Worker threads share keys and certificates read-only; concurrent use must give the same answers as serial use.
@Suite struct ConcurrencyTests {
    @Test func sharedKeysAndChainsVerifyFromManyThreads() throws {
        let rsa = try #require(TestKeys.rsa)
        let ec = try #require(TestKeys.p256)
        let chain = try CertificateTests.makeChain()
        let message = Array("shared".utf8)
        let rsaSignature = try rsa.sign(message, algorithm: .rsaPKCS1SHA256)
        let ecSignature = try ec.sign(message, algorithm: .ecdsaSHA256Raw)
        let now = chain.leaf.notBefore + 7200
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            var ok: Bool
            switch index % 4 {
            case 0:
                ok = rsa.publicKey.verify(signature: rsaSignature, message: message, algorithm: .rsaPKCS1SHA256)
                ok = ok && !rsa.publicKey.verify(signature: rsaSignature, message: [1], algorithm: .rsaPKCS1SHA256)
            case 1:
                ok = ec.publicKey.verify(signature: ecSignature, message: message, algorithm: .ecdsaSHA256Raw)
            case 2:
                ok =
                    (try? ChainVerifier.verify(
                        leaf: chain.leaf, intermediates: [chain.intermediate], trustAnchors: [chain.root], at: now,
                        partialChain: false, strict: true)) != nil
            default:
                let mac = HMAC.sha256(key: Array("whsec_test_secret".utf8), message: message)
                ok = mac.count == 32 && (try? ec.sign(message, algorithm: .ecdsaSHA256Raw))?.count == 64
                ok = ok && chain.leaf.hasExtension(oid: CertificateTests.markerOID)
            }
            if !ok { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }
}

import Signing

/// Keys generated once per test run (RSA generation is slow), shared read-only by the suites.
enum TestKeys {
    static let rsa: PrivateKey? = try? PrivateKey.generateRSA(bits: 2048)
    static let p256: PrivateKey? = try? PrivateKey.generateP256()
    static let otherP256: PrivateKey? = try? PrivateKey.generateP256()
}

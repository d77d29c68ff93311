import COpenSSL

/// A private key (RSA, EC P-256 or EC P-384) that signs: JWTs for Google and the App Store, and the sandbox's test chains.
public final class PrivateKey: Sendable {
    let key: EVPKey
    /// The matching public key, sharing the same `EVP_PKEY`.
    public let publicKey: PublicKey

    init(key: EVPKey) {
        self.key = key
        // The public half shares the EVP_PKEY; up_ref gives it its own reference to free.
        EVP_PKEY_up_ref(key.pointer)
        self.publicKey = PublicKey(key: EVPKey(owning: key.pointer))
    }

    /// A fresh RSA key of `bits` bits (2048 by default).
    /// - Throws: `OpenSSLError` when generation fails or `bits` is refused.
    public static func generateRSA(bits: Int = 2048) throws -> PrivateKey {
        try generate(type: "RSA") { ctx in EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(clamping: bits)) }
    }

    /// A fresh EC key on P-256 (prime256v1), as ES256 requires.
    /// - Throws: `OpenSSLError` when generation fails.
    public static func generateP256() throws -> PrivateKey {
        try generate(type: "EC") { ctx in EVP_PKEY_CTX_set_group_name(ctx, "P-256") }
    }

    /// A fresh EC key on P-384 (secp384r1), the curve of Apple's root and intermediate CAs; for test chains.
    /// - Throws: `OpenSSLError` when generation fails.
    public static func generateP384() throws -> PrivateKey {
        try generate(type: "EC") { ctx in EVP_PKEY_CTX_set_group_name(ctx, "P-384") }
    }

    private static func generate(type: String, configure: (OpaquePointer) -> Int32) throws(OpenSSLError) -> PrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type, nil) else {
            throw OpenSSLError("EVP_PKEY_CTX_new_from_name(\(type))")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw OpenSSLError("EVP_PKEY_keygen_init") }
        guard configure(ctx) == 1 else { throw OpenSSLError("key generation parameters") }
        var generated: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &generated) == 1, let generated else { throw OpenSSLError("EVP_PKEY_generate") }
        return PrivateKey(key: EVPKey(owning: generated))
    }

    /// Parses a PKCS#8 `BEGIN PRIVATE KEY` block or a traditional `BEGIN RSA/EC PRIVATE KEY` block (unencrypted).
    /// - Throws: `OpenSSLError` when the text holds no usable private key.
    public convenience init(pem: String) throws {
        let bio = try MemoryBIO(text: pem)
        guard let pointer = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError("PEM_read_bio_PrivateKey")
        }
        self.init(key: EVPKey(owning: pointer))
    }

    /// The key as an unencrypted PKCS#8 `BEGIN PRIVATE KEY` block (empty only if OpenSSL cannot allocate).
    public var pem: String {
        guard let bio = try? MemoryBIO(),
            PEM_write_bio_PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil) == 1
        else {
            OpenSSLError.clearQueue()
            return ""
        }
        return bio.text
    }

    /// Signs `message` with SHA-256 under `algorithm`.
    /// - Returns: PKCS#1 v1.5 bytes, a DER ECDSA signature, or raw `r || s` for `.ecdsaSHA256Raw`.
    /// - Throws: `OpenSSLError` when the key type does not fit `algorithm` or signing fails.
    public func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        guard key.type == algorithm.keyType else { throw OpenSSLError("key type does not match the algorithm") }
        let der = try key.signSHA256(message: message)
        switch algorithm {
        case .rsaPKCS1SHA256, .ecdsaSHA256DER: return der
        case .ecdsaSHA256Raw: return try ECDSASignature.raw(fromDER: der, componentSize: key.componentSize)
        }
    }
}

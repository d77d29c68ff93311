import COpenSSL

/// A public key (RSA or EC) that checks signatures; immutable, so one instance serves every worker thread.
public final class PublicKey: Sendable {
    let key: EVPKey

    init(key: EVPKey) { self.key = key }

    /// Parses a `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) PEM block.
    /// - Throws: `OpenSSLError` when the text holds no such key.
    public init(pem: String) throws {
        let bio = try MemoryBIO(text: pem)
        guard let pointer = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError("PEM_read_bio_PUBKEY")
        }
        key = EVPKey(owning: pointer)
    }

    /// Checks `signature` over `message`.
    ///
    /// - Returns: true only when the key type fits `algorithm` (RSA for RS256, EC for ECDSA) and the signature is
    ///   valid; a raw ECDSA signature of the wrong length is false.
    public func verify(signature: [UInt8], message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard key.type == algorithm.keyType else { return false }
        switch algorithm {
        case .rsaPKCS1SHA256, .ecdsaSHA256DER:
            return key.verifySHA256(signature: signature, message: message)
        case .ecdsaSHA256Raw:
            guard let der = ECDSASignature.der(fromRaw: signature, componentSize: key.componentSize) else {
                OpenSSLError.clearQueue()
                return false
            }
            return key.verifySHA256(signature: der, message: message)
        }
    }

    /// The key as a `BEGIN PUBLIC KEY` PEM block (empty only if OpenSSL cannot allocate).
    public var pem: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 else {
            OpenSSLError.clearQueue()
            return ""
        }
        return bio.text
    }
}

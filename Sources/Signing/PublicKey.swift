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

    /// The EC curve's OpenSSL short name (`prime256v1` for P-256, `secp384r1` for P-384); nil for RSA keys.
    ///
    /// JWS `ES256` is defined on P-256 only (RFC 7518 §3.4), so a verifier that must refuse other curves, as Apple's
    /// library does for its signing leaf, checks this.
    public var curveName: String? {
        guard key.type == EVPKeyType.ec else { return nil }
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        let ok = buffer.withUnsafeMutableBufferPointer { raw in
            EVP_PKEY_get_group_name(key.pointer, raw.baseAddress, raw.count, &length)
        }
        guard ok == 1, length > 0, length < buffer.count else {
            OpenSSLError.clearQueue()
            return nil
        }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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

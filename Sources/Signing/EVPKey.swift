import COpenSSL

/// Key-type numbers, kept here so that only this file spells the OpenSSL constants.
enum EVPKeyType {
    static let rsa = EVP_PKEY_RSA
    static let ec = EVP_PKEY_EC
}

/// An owned `EVP_PKEY` reference, shared by `PublicKey` and `PrivateKey`.
///
/// Safe to share across threads (`@unchecked Sendable`): the key is never mutated after init, OpenSSL 3 allows
/// concurrent read-only use of one `EVP_PKEY` (each operation makes its own `EVP_MD_CTX`), and the pointer is
/// freed exactly once, in deinit, when no Swift reference remains.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of one reference to `pointer`.
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// `EVP_PKEY_get_base_id`: RSA, EC, …
    var type: Int32 { EVP_PKEY_get_base_id(pointer) }

    /// Bytes in one ECDSA signature component (`r` or `s`) for this key's curve.
    var componentSize: Int { (Int(EVP_PKEY_get_bits(pointer)) + 7) / 8 }

    /// Verifies `signature` (DER for ECDSA) over `message` with SHA-256.
    func verifySHA256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else {
            OpenSSLError.clearQueue()
            return false
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pointer) == 1 else {
            OpenSSLError.clearQueue()
            return false
        }
        let result = Bytes.withPointer(signature) { sig, sigCount in
            Bytes.withPointer(message) { msg, msgCount in EVP_DigestVerify(ctx, sig, sigCount, msg, msgCount) }
        }
        // A failed verification leaves reasons on this thread's queue; they are not errors of the caller.
        OpenSSLError.clearQueue()
        return result == 1
    }

    /// Signs `message` with SHA-256 (DER for ECDSA).
    func signSHA256(message: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pointer) == 1 else {
            throw OpenSSLError("EVP_DigestSignInit")
        }
        var length = 0
        let sized = Bytes.withPointer(message) { msg, count in EVP_DigestSign(ctx, nil, &length, msg, count) }
        guard sized == 1 else { throw OpenSSLError("EVP_DigestSign (size)") }
        let signature = Bytes.fill(capacity: length) { out in
            var written = length
            let ok = Bytes.withPointer(message) { msg, count in EVP_DigestSign(ctx, out, &written, msg, count) }
            return ok == 1 ? written : -1
        }
        guard let signature else { throw OpenSSLError("EVP_DigestSign") }
        return signature
    }
}

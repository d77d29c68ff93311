import COpenSSL

/// AES-256-CBC with PKCS#7 padding through OpenSSL's EVP cipher interface.
///
/// Payeer encrypts its `m_params` this way, with the IV left to PHP's default of sixteen zero bytes; the IV is a
/// parameter so callers state that choice themselves.
public enum AES {
    /// Encrypts `plaintext` under a 32-byte `key` and a 16-byte `iv`; the output is padded to whole blocks.
    /// - Throws: `OpenSSLError` for a key or IV of the wrong length, or when OpenSSL fails.
    public static func encrypt256CBC(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        try crypt(plaintext, key: key, iv: iv, encrypting: true)
    }

    /// Decrypts `ciphertext` under a 32-byte `key` and a 16-byte `iv`, removing the padding.
    /// - Throws: `OpenSSLError` for a wrong key or IV length, a partial block or bad padding (a wrong key, usually).
    public static func decrypt256CBC(_ ciphertext: [UInt8], key: [UInt8], iv: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        try crypt(ciphertext, key: key, iv: iv, encrypting: false)
    }

    private static func crypt(_ input: [UInt8], key: [UInt8], iv: [UInt8], encrypting: Bool) throws(OpenSSLError)
        -> [UInt8]
    {
        guard key.count == 32, iv.count == 16 else {
            throw OpenSSLError("AES-256-CBC needs a 32-byte key and a 16-byte IV")
        }
        guard input.count < Int(Int32.max) - 16 else { throw OpenSSLError("AES-256-CBC input too large") }
        guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSLError("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let started = Bytes.withPointer(key) { keyBase, _ in
            Bytes.withPointer(iv) { ivBase, _ in
                EVP_CipherInit_ex(context, EVP_aes_256_cbc(), nil, keyBase, ivBase, encrypting ? 1 : 0)
            }
        }
        guard started == 1 else { throw OpenSSLError("EVP_CipherInit_ex") }
        // One extra block: encryption adds up to 16 bytes of padding; decryption never grows.
        let output = Bytes.fill(capacity: input.count + 16) { out -> Int in
            guard let out else { return -1 }
            var written: Int32 = 0
            let updated = Bytes.withPointer(input) { base, count in
                EVP_CipherUpdate(context, out, &written, base, Int32(count))
            }
            guard updated == 1 else { return -1 }
            var final: Int32 = 0
            guard EVP_CipherFinal_ex(context, out + Int(written), &final) == 1 else { return -1 }
            return Int(written + final)
        }
        guard let output else { throw OpenSSLError(encrypting ? "AES-256-CBC encrypt" : "AES-256-CBC decrypt") }
        return output
    }
}

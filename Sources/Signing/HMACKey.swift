import COpenSSL

/// HMAC-SHA256 under one fixed key, keyed once.
///
/// `HMAC.sha256` goes through OpenSSL's one-shot `HMAC()`, which fetches the MAC and the digest by name and hashes
/// the padded key again on every call. A webhook endpoint signs every delivery under the same secret, so this keeps
/// one keyed `EVP_MAC_CTX` as a template and each `authenticationCode(of:)` works on a duplicate of it: the same
/// RFC 2104 result (tests compare it with `HMAC.sha256`), without the per-call set-up.
///
/// Safe to share across threads (`@unchecked Sendable`): after `init` the template is only read, by
/// `EVP_MAC_CTX_dup`; every update happens on the caller's own duplicate.
public final class HMACKey: @unchecked Sendable {
    private let template: OpaquePointer

    /// Keys the template; nil when OpenSSL refuses (the caller falls back to `HMAC.sha256`).
    public init?(sha256Key key: [UInt8]) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            OpenSSLError.clearQueue()
            return nil
        }
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else {
            OpenSSLError.clearQueue()
            return nil
        }
        var digestName = Array("SHA256".utf8CString)
        let keyed = digestName.withUnsafeMutableBufferPointer { name in
            var parameters = [
                OSSL_PARAM_construct_utf8_string("digest", name.baseAddress, 0), OSSL_PARAM_construct_end(),
            ]
            return Bytes.withPointer(key) { base, count in EVP_MAC_init(context, base, count, &parameters) }
        }
        guard keyed == 1 else {
            EVP_MAC_CTX_free(context)
            OpenSSLError.clearQueue()
            return nil
        }
        template = context
    }

    deinit { EVP_MAC_CTX_free(template) }

    /// HMAC-SHA256 of `message` under the key (32 bytes); empty when OpenSSL fails.
    public func authenticationCode(of message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MAC_CTX_dup(template) else {
            OpenSSLError.clearQueue()
            return []
        }
        defer { EVP_MAC_CTX_free(context) }
        let result = Bytes.fill(capacity: Int(EVP_MAX_MD_SIZE)) { out in
            let updated = Bytes.withPointer(message) { base, count in EVP_MAC_update(context, base, count) }
            var size = 0
            guard updated == 1, EVP_MAC_final(context, out, &size, Int(EVP_MAX_MD_SIZE)) == 1 else { return -1 }
            return size
        }
        if result == nil { OpenSSLError.clearQueue() }
        return result ?? []
    }
}

import COpenSSL

/// Keyed message authentication (RFC 2104) with OpenSSL's one-shot `HMAC()`, which OpenSSL 3 does not deprecate.
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key` (32 bytes); Stripe webhook signatures use it.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let result = Bytes.fill(capacity: Int(EVP_MAX_MD_SIZE)) { out in
            var size: UInt32 = 0
            let produced = Bytes.withPointer(key) { keyBase, keyCount in
                Bytes.withPointer(message) { messageBase, messageCount in
                    COpenSSL.HMAC(EVP_sha256(), keyBase, Int32(keyCount), messageBase, messageCount, out, &size)
                }
            }
            return produced == nil ? -1 : Int(size)
        }
        OpenSSLError.clearQueue()
        return result ?? []
    }
}

import COpenSSL

/// Message digests through OpenSSL's EVP interface (the only non-deprecated route for MD5 and SHA-1 in OpenSSL 3).
public enum Digest {
    /// SHA-256 of `data` (32 bytes).
    public static func sha256(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha256()) }

    /// SHA-1 of `data` (20 bytes); only for legacy gateway signatures that mandate it.
    public static func sha1(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha1()) }

    /// MD5 of `data` (16 bytes); only for legacy gateway signatures that mandate it.
    public static func md5(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_md5()) }

    private static func digest(_ data: [UInt8], _ md: OpaquePointer?) -> [UInt8] {
        let result = Bytes.fill(capacity: Int(EVP_MAX_MD_SIZE)) { out in
            var size: UInt32 = 0
            let ok = Bytes.withPointer(data) { base, count in EVP_Digest(base, count, out, &size, md, nil) }
            return ok == 1 ? Int(size) : -1
        }
        OpenSSLError.clearQueue()
        return result ?? []
    }
}

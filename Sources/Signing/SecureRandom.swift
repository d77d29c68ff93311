import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// `count` random bytes; should OpenSSL's generator ever fail, the system CSPRNG (getrandom) fills them instead.
    public static func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { buffer in RAND_bytes(buffer.baseAddress, Int32(buffer.count)) }
        if ok != 1 {
            OpenSSLError.clearQueue()
            var generator = SystemRandomNumberGenerator()
            for index in out.indices { out[index] = generator.next() }
        }
        return out
    }

    /// A random (version 4) UUID in lowercase 8-4-4-4-12 form, for public identifiers and idempotency keys.
    public static func uuidV4() -> String {
        var raw = bytes(16)
        raw[6] = raw[6] & 0x0f | 0x40
        raw[8] = raw[8] & 0x3f | 0x80
        return UUIDv5.format(raw)
    }
}

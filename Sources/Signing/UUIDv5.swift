/// Name-based UUIDs (version 5, SHA-1, RFC 4122 §4.3), e.g. the App Store `appAccountToken` derived from a user id.
public enum UUIDv5 {
    /// `6ba7b811-9dad-11d1-80b4-00c04fd430c8`, the URL namespace of RFC 4122 Appendix C.
    public static let urlNamespace: [UInt8] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
    ]

    /// The lower-case 8-4-4-4-12 UUID of `name` (its bytes, UTF-8 for text) in `namespace` (16 bytes).
    public static func make(namespace: [UInt8], name: [UInt8]) -> String {
        var bytes = Array(Digest.sha1(namespace + name).prefix(16))
        bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
        bytes[6] = bytes[6] & 0x0f | 0x50  // version 5
        bytes[8] = bytes[8] & 0x3f | 0x80  // RFC 4122 variant
        return format(bytes)
    }

    /// 16 bytes as lower-case 8-4-4-4-12 hex groups.
    static func format(_ bytes: [UInt8]) -> String {
        let hex = Array(Hex.encode(bytes))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }
}

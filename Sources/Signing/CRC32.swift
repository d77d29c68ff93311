/// CRC-32 as in zlib and `java.util.zip.CRC32` (IEEE 802.3, reflected polynomial 0xEDB88320); PayPal signs it.
///
/// OpenSSL has no CRC, hence this small table-driven implementation.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`; PayPal writes it as an unsigned decimal.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

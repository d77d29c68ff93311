import COpenSSL

/// Compares two byte strings in time that depends only on their length (`CRYPTO_memcmp`), so a signature check
/// does not reveal how many leading bytes matched.
///
/// - Returns: true when both have the same length and the same bytes; false when the lengths differ.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return Bytes.withPointer(a) { pa, count in Bytes.withPointer(b) { pb, _ in CRYPTO_memcmp(pa, pb, count) == 0 } }
}

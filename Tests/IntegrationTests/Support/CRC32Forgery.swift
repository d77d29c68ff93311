import Signing

/// Writes bodies with a chosen CRC-32, as an attacker holding one genuine PayPal delivery can (issue 6, defect 3).
///
/// For messages of one length CRC-32 is affine over GF(2): flipping a set of bits moves the checksum by the XOR of
/// each bit's fixed effect. A padding string of 64 `p`/`q` characters (bit 0 flipped or not) gives 64 such effects;
/// Gaussian elimination picks the flips that land on the target, and the body stays printable JSON.
enum CRC32Forgery {
    static let paddingLength = 64

    /// `prefix + padding + suffix` whose CRC-32 is `target`, or nil when the 64 effects do not reach it.
    static func body(prefix: String, suffix: String, matching target: UInt32) -> [UInt8]? {
        let start = prefix.utf8.count
        var bytes =
            Array(prefix.utf8) + Array(repeating: UInt8(ascii: "p"), count: paddingLength) + Array(suffix.utf8)
        let base = CRC32.checksum(bytes)
        // basis[bit]: a combination of flips (mask) whose effect has `bit` as its highest set bit.
        var basis = [(effect: UInt32, mask: UInt64)?](repeating: nil, count: 32)
        for position in 0..<paddingLength {
            var flipped = bytes
            flipped[start + position] ^= 1
            var effect = CRC32.checksum(flipped) ^ base
            var mask = UInt64(1) << UInt64(position)
            for bit in stride(from: 31, through: 0, by: -1) where effect & (1 << UInt32(bit)) != 0 {
                guard let row = basis[bit] else {
                    basis[bit] = (effect, mask)
                    break
                }
                effect ^= row.effect
                mask ^= row.mask
            }
        }
        var wanted = base ^ target
        var flips: UInt64 = 0
        for bit in stride(from: 31, through: 0, by: -1) where wanted & (1 << UInt32(bit)) != 0 {
            guard let row = basis[bit] else { return nil }
            wanted ^= row.effect
            flips ^= row.mask
        }
        for position in 0..<paddingLength where flips & (UInt64(1) << UInt64(position)) != 0 {
            bytes[start + position] ^= 1
        }
        return bytes
    }
}

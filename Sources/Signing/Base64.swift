/// Base64 (RFC 4648 §4) and base64url (§5) text, written in Swift because OpenSSL's `EVP_DecodeBlock` accepts
/// whitespace and trailing garbage that a signature parser must reject.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard alphabet with `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: standard, pad: true) }

    /// Standard alphabet; padding may be missing but must be right when present; nil on any other character.
    public static func decode(_ text: String) -> [UInt8]? { decode(text, urlSafe: false) }

    /// base64url without padding, as JWS compact serialisation requires.
    public static func urlEncode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: url, pad: false) }

    /// base64url, padding optional; nil on any character outside the url alphabet.
    public static func urlDecode(_ text: String) -> [UInt8]? { decode(text, urlSafe: true) }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 0x3f)])
            out.append(alphabet[Int(triple >> 12 & 0x3f)])
            if remaining > 1 { out.append(alphabet[Int(triple >> 6 & 0x3f)]) } else if pad { out.append(61) }
            if remaining > 2 { out.append(alphabet[Int(triple & 0x3f)]) } else if pad { out.append(61) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decode(_ text: String, urlSafe: Bool) -> [UInt8]? {
        var chars = Array(text.utf8)
        var padding = 0
        while chars.last == UInt8(ascii: "=") {
            chars.removeLast()
            padding += 1
        }
        // One data character alone cannot encode a byte; padding, when present, must complete a 4-character group.
        guard chars.count % 4 != 1, padding <= 2 else { return nil }
        if padding > 0, (chars.count + padding) % 4 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let value = sextet(c, urlSafe: urlSafe) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero, so every byte string has exactly one accepted encoding.
        guard accumulator == 0 else { return nil }
        return out
    }

    private static func sextet(_ c: UInt8, urlSafe: Bool) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where !urlSafe: return 62
        case UInt8(ascii: "/") where !urlSafe: return 63
        case UInt8(ascii: "-") where urlSafe: return 62
        case UInt8(ascii: "_") where urlSafe: return 63
        default: return nil
        }
    }
}

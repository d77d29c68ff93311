/// A deliberately plain percent-decoder (RFC 3986 §2.1), the oracle the form and FastCGI harnesses compare against:
/// `%` followed by exactly two hex digits is one byte, anything else is kept as it is.
public enum ReferencePercentDecoding {
    /// Decodes `text`; with `plusAsSpace` a `+` is a space, as in form bodies and query strings.
    public static func decode(_ text: String, plusAsSpace: Bool) -> String {
        let input = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), let high = hexValue(input, index + 1), let low = hexValue(input, index + 2) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ bytes: [UInt8], _ index: Int) -> UInt8? {
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

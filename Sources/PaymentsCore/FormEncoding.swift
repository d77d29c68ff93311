import Signing

/// `application/x-www-form-urlencoded` encoding, as Stripe and reCAPTCHA expect.
public enum FormEncoding {
    /// Encodes pairs in order; keys like `metadata[uid]` are written as given, bracket characters escaped.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// Percent-escapes everything but unreserved characters (RFC 3986); also the one escaper of URL path segments
    /// (a uid in a Retail URL).
    /// A string made only of unreserved characters (a Firebase uid, most values) is returned as it is, without
    /// building a copy.
    public static func escape(_ s: String) -> String {
        if s.utf8.allSatisfy(isUnreserved) { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 3)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in s.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`, `.`, `~` (RFC 3986 unreserved).
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Decodes `%XX` (two hex digits) and, unless `plusAsSpace` is false (URL paths), `+` as a space; malformed escapes,
    /// signed ones like `%+D` included, are kept literally.
    public static func decode(_ s: String, plusAsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(s.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+"), plusAsSpace {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                // `Hex` takes digits only; `UInt8(_:radix:)` would also take a sign (`%+D` → CR).
                let value = Hex.decode(String(decoding: utf8.prefix(2), as: UTF8.self))?.first
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a form body into ordered pairs.
    public static func parse(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(String(parts[0])), parts.count > 1 ? decode(String(parts[1])) : "")
        }
    }
}

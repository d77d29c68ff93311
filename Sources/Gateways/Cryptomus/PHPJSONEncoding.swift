import PaymentsCore

/// Re-encodes a parsed JSON value the way PHP's `json_encode($data, JSON_UNESCAPED_UNICODE)` prints it, which is
/// the string Cryptomus signs its webhooks over (research §1.5).
///
/// Members keep their original order and numbers their original text, so no dictionary or floating-point round trip
/// can change the signed bytes. Strings follow PHP: `/` becomes `\/`, `"` and `\` are escaped, `\b \f \n \r \t` use
/// their short forms, other control characters `\u00XX` in lowercase hex, U+2028 and U+2029 stay escaped (PHP does
/// so unless `JSON_UNESCAPED_LINE_TERMINATORS` is also given) and every other character is raw UTF-8.
public enum PHPJSONEncoding {
    /// The compact PHP-style text of `value`.
    public static func encode(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .number(text): out += text
        case let .string(text): writeString(text, into: &out)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                writeString(member.0, into: &out)
                out += ":"
                write(member.1, into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x2F: out += "\\/"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x2028, 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

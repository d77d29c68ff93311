import PaymentsCore

/// Prints JSON the way Cryptomus's PHP back end does: `json_encode($data, JSON_UNESCAPED_UNICODE)` for the signed
/// string, or plain `json_encode($data)` (non-ASCII as `\uXXXX`) for a body that differs byte-wise from what was
/// signed (research §1.5). The sandbox keeps its own copy so it checks the backend rather than mirroring its code.
enum CryptomusPHPJSON {
    static func encode(_ value: JSONValue, escapeUnicode: Bool = false) -> String {
        switch value {
        case .null: return "null"
        case let .bool(flag): return flag ? "true" : "false"
        case let .number(text): return text
        case let .string(text): return string(text, escapeUnicode: escapeUnicode)
        case let .array(items):
            return "[" + items.map { encode($0, escapeUnicode: escapeUnicode) }.joined(separator: ",") + "]"
        case let .object(members):
            let parts = members.map {
                string($0.0, escapeUnicode: escapeUnicode) + ":" + encode($0.1, escapeUnicode: escapeUnicode)
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
    }

    private static func string(_ text: String, escapeUnicode: Bool) -> String {
        var out = "\""
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
            case 0x00..<0x20, 0x2028, 0x2029: out += hexEscape(UInt16(scalar.value))
            case 0x80... where escapeUnicode:
                for unit in String(scalar).utf16 { out += hexEscape(unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func hexEscape(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

import PaymentsCore
import Testing

/// `serialized()` and `serializedBytes()` write bytes straight into a buffer; they must produce exactly what the
/// String-appending writer they replaced produced.
@Suite struct JSONSerializationTests {
    static let strings = [
        "", "plain", "pi_3Q0abc_secret_x", "0b9f7a52-8d55-4c1e-9a43-1f2e3d4c5b6a", "quote \" here", "back\\slash",
        "line\nbreak\r\ttab", "\u{01}\u{1F}\u{7F}", "é ü 🙂 e\u{301}", "slash / stays", "\u{0}", "\"\\\"",
    ]

    static var values: [JSONValue] {
        var values: [JSONValue] = [.null, .bool(true), .bool(false), .int(0), .int(-42), .number("1.5e3"), .array([])]
        values += strings.map { .string($0) }
        values.append(.object(strings.map { ($0, .string($0)) }))
        values.append(.array(strings.map { .string($0) } + [.null, .int(7), .object([])]))
        values.append(
            .object([
                ("session_id", .string(strings[3])), ("status", .string("paid")), ("amount", .int(1500)),
                ("nested", .object([("a", .array([.bool(true), .object([("k\"", .string("v\n"))])]))])),
            ]))
        return values
    }

    @Test func writesWhatTheStringWriterWrote() {
        for value in Self.values {
            let expected = Self.reference(value)
            #expect(value.serialized() == expected)
            #expect(value.serializedBytes() == Array(expected.utf8))
        }
        #expect(JSONValue.string("a\"b\u{01}").serialized() == #""a\"b\u0001""#)
    }

    /// The writer this one replaced, kept as the reference.
    static func reference(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .number(text): return text
        case let .string(s): return referenceString(s)
        case let .array(items): return "[" + items.map(reference).joined(separator: ",") + "]"
        case let .object(members):
            return "{" + members.map { referenceString($0.0) + ":" + reference($0.1) }.joined(separator: ",") + "}"
        }
    }

    static func referenceString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

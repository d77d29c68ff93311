/// A JSON parse failure; the message names the position, never the content.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONParseError: APIErrorConvertible {
    /// A client's malformed body: 400, without the parser's detail.
    public var apiError: APIError { APIError(.badRequest, "body is not valid JSON") }
}

extension JSONValue {
    /// Parses UTF-8 JSON text (RFC 8259), rejecting trailing garbage and nesting deeper than 64 levels.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try parse(bytes, keeping: .whole)
    }

    /// Parses and checks the whole text exactly as `parse(_:)` does, but builds only the `selection`: the result
    /// equals the full parse with every member outside the selection removed (`JSONSelection.pruning`).
    ///
    /// For hot paths that read a few fields of a larger body (a Stripe event): nothing is allocated for the rest.
    public static func parse(_ bytes: [UInt8], keeping selection: JSONSelection) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0, keeping: selection)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONParseError(offset: parser.index, reason: "trailing data") }
        return value
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
        {
            index += 1
        }
    }

    /// Parses one value; what `selection` leaves out is checked the same way but not built (`.null` stands for a
    /// value skipped whole, and its caller drops it).
    mutating func parseValue(depth: Int, keeping selection: JSONSelection?) throws(JSONParseError) -> JSONValue {
        guard depth < 64 else { throw fail("nesting too deep") }
        guard index < bytes.count else { throw fail("unexpected end") }
        // A skipped value (no selection) is dropped by its caller: `.null` stands for it and needs no storage.
        guard let selection else {
            try skipValue(depth: depth)
            return .null
        }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth, keeping: selection)
        case UInt8(ascii: "["): return try parseArray(depth: depth, keeping: selection)
        case UInt8(ascii: "\""): return .string(try parseString(keep: true))
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: return .number(try parseNumber(keep: true))
        }
    }

    /// Checks one value exactly as `parseValue` would parse it, building nothing.
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        switch bytes[index] {
        case UInt8(ascii: "{"): _ = try parseObject(depth: depth, keeping: nil)
        case UInt8(ascii: "["): _ = try parseArray(depth: depth, keeping: nil)
        case UInt8(ascii: "\""): _ = try parseString(keep: false)
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default: _ = try parseNumber(keep: false)
        }
    }

    mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        let count = literal.utf8.count
        guard index + count <= bytes.count, bytes[index..<index + count].elementsEqual(literal.utf8) else {
            throw fail("invalid literal")
        }
        index += count
    }

    mutating func parseObject(depth: Int, keeping selection: JSONSelection?) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return selection == nil ? .null : .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected key") }
            let (key, memberSelection) = try parseKey(in: selection)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1, keeping: memberSelection)
            if memberSelection != nil { members.append((key, value)) }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            index += 1
            return selection == nil ? .null : .object(members)
        }
    }

    /// Parses a member's key and finds its selection. Under `.members`, a key of plain ASCII (no escape) is matched
    /// by its bytes and no string is built for the members left out; any other key is decoded and matched as text,
    /// as before. Returns "" for a key whose member is not kept.
    mutating func parseKey(in selection: JSONSelection?) throws(JSONParseError) -> (String, JSONSelection?) {
        guard case .members = selection else {
            let key = try parseString(keep: selection != nil)
            return (key, selection?.member(key))
        }
        let start = index
        _ = try parseString(keep: false)
        let raw = bytes[(start + 1)..<(index - 1)]
        if raw.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\\") }) {
            guard let found = selection?.member(ascii: raw) else { return ("", nil) }
            return found
        }
        index = start
        let key = try parseString(keep: true)
        return (key, selection?.member(key))
    }

    mutating func parseArray(depth: Int, keeping selection: JSONSelection?) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return selection == nil ? .null : .array(items)
        }
        while true {
            skipWhitespace()
            let item = try parseValue(depth: depth + 1, keeping: selection)
            if selection != nil { items.append(item) }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            index += 1
            return selection == nil ? .null : .array(items)
        }
    }

    mutating func parseNumber(keep: Bool) throws(JSONParseError) -> String {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid fraction") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return keep ? String(decoding: bytes[start..<index], as: UTF8.self) : ""
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Parses a string; with `keep` false it is checked the same way and "" is returned.
    mutating func parseString(keep: Bool) throws(JSONParseError) -> String {
        index += 1
        var runStart = index
        var out = ""
        func flushRun(_ end: Int) {
            if keep, end > runStart { out += String(decoding: bytes[runStart..<end], as: UTF8.self) }
        }
        while true {
            index = plainRunEnd(from: index)
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun(index)
                index += 1
                return out
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte == UInt8(ascii: "\\") {
                flushRun(index)
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out += "\""
                case UInt8(ascii: "\\"): out += "\\"
                case UInt8(ascii: "/"): out += "/"
                case UInt8(ascii: "b"): out += "\u{08}"
                case UInt8(ascii: "f"): out += "\u{0C}"
                case UInt8(ascii: "n"): out += "\n"
                case UInt8(ascii: "r"): out += "\r"
                case UInt8(ascii: "t"): out += "\t"
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if code >= 0xD800, code < 0xDC00 {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw fail("lone surrogate") }
                        index += 2
                        let low = try parseHex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw fail("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if code >= 0xDC00, code < 0xE000 {
                        throw fail("lone surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid code point") }
                    out.unicodeScalars.append(scalar)
                default: throw fail("invalid escape")
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    /// The first index at or after `start` holding a quote, a backslash or a control character (`bytes.count` when
    /// none): the end of a run of string bytes taken as they are. A local loop, the hot part of reading a body.
    func plainRunEnd(from start: Int) -> Int {
        let bytes = self.bytes
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return end }
            end += 1
        }
        return end
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("invalid hex digit")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// The header lines of an HTTP answer as they arrived, made into a dictionary only when a reader asks for one.
///
/// Most outbound answers (a Retail push, an nchan post) are read for their status and body alone; building a
/// dictionary of every header for each of them cost more than the rest of reading the answer. The socket transport
/// keeps the lines and looks up the few fields its framing needs with `value(_:)`; `HTTPResponse.headers` builds
/// the dictionary on demand, exactly as it was built before.
///
/// Lines end at LF (a CR before it is dropped); blank lines and lines without a colon are ignored; names are
/// lower-cased (ASCII), values trimmed of spaces and tabs; a repeated name's values are joined with ", " in order.
public struct HTTPHeaderFields: Sendable {
    /// The header section without its status line, as received.
    let lines: [UInt8]

    /// Keeps `lines` (the bytes after the status line, up to and including the blank line or not).
    public init<Bytes: Collection>(lines: Bytes) where Bytes.Element == UInt8 {
        self.lines = Array(lines)
    }

    /// Every field, names lower-cased, repeated names joined with ", ".
    public var dictionary: [String: String] {
        var headers: [String: String] = [:]
        headers.reserveCapacity(8)
        forEachField { name, value in
            let key = String(unsafeUninitializedCapacity: name.count) { buffer in
                _ = buffer.initialize(from: name.lazy.map(HTTPHeaderFields.asciiLowercased))
                return name.count
            }
            let trimmed = String(decoding: value, as: UTF8.self)
            if let existing = headers[key] {
                headers[key] = existing + ", " + trimmed
            } else {
                headers[key] = trimmed
            }
        }
        return headers
    }

    /// The value `dictionary[lowercaseName]` holds, found without building the dictionary.
    /// - Parameter lowercaseName: an ASCII name in lower case (`content-length`).
    public func value(_ lowercaseName: StaticString) -> String? {
        var found: String?
        forEachField { name, value in
            guard Self.isNamed(name, lowercaseName) else { return }
            let text = String(decoding: value, as: UTF8.self)
            found = found.map { $0 + ", " + text } ?? text
        }
        return found
    }

    /// The three fields that frame an answer's body, each as `value(_:)` reads it, in one pass over the lines.
    public var framing: (connection: String?, transferEncoding: String?, contentLength: String?) {
        var result: (connection: String?, transferEncoding: String?, contentLength: String?) = (nil, nil, nil)
        func join(_ found: inout String?, _ value: ArraySlice<UInt8>) {
            let text = String(decoding: value, as: UTF8.self)
            found = found.map { $0 + ", " + text } ?? text
        }
        forEachField { name, value in
            if Self.isNamed(name, "connection") {
                join(&result.connection, value)
            } else if Self.isNamed(name, "transfer-encoding") {
                join(&result.transferEncoding, value)
            } else if Self.isNamed(name, "content-length") {
                join(&result.contentLength, value)
            }
        }
        return result
    }

    /// Whether the name bytes `name` are `lowercaseName`, ignoring ASCII case.
    private static func isNamed(_ name: ArraySlice<UInt8>, _ lowercaseName: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
        return name.count == needle.count && zip(name, needle).allSatisfy { asciiLowercased($0) == $1 }
    }

    /// Calls `body` with each field's name bytes (as received) and trimmed value bytes, in order. One pass by
    /// index: every delimiter is ASCII.
    private func forEachField(_ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) {
        var lineStart = lines.startIndex
        while lineStart < lines.endIndex {
            let newline = lines[lineStart...].firstIndex(of: 10) ?? lines.endIndex
            defer { lineStart = newline + 1 }
            if newline == lineStart { continue }
            let line = lines[newline - 1] == 13 ? lines[lineStart..<(newline - 1)] : lines[lineStart..<newline]
            guard !line.isEmpty, let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd && Self.isBlank(line[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart && Self.isBlank(line[valueEnd - 1]) { valueEnd -= 1 }
            body(line[..<colon], line[valueStart..<valueEnd])
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

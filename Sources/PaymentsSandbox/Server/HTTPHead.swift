/// A parsed HTTP/1.x message head (request line or status line plus header fields), built from raw bytes.
struct HTTPHead: Sendable {
    /// Request: method; response: the `HTTP/1.x` version token.
    let first: String
    /// Request: target; response: the status code text.
    let second: String
    /// Request: version token; response: the reason phrase.
    let third: String
    /// Header fields in order, names lower-cased, values trimmed.
    let headers: [(String, String)]

    /// The first header named `name` (lower-cased).
    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }

    /// Finds the end of the head (`CRLF CRLF`, or a bare `LF LF`) at or after `from`; returns the index just past it.
    static func findEnd(in buffer: [UInt8], from start: Int, scanFrom: Int) -> Int? {
        var index = max(start, scanFrom)
        while index < buffer.count {
            if buffer[index] == 0x0A {
                if index + 1 < buffer.count, buffer[index + 1] == 0x0A { return index + 2 }
                if index + 2 < buffer.count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// Parses a head (without its final empty line); nil when it is malformed.
    static func parse(_ bytes: ArraySlice<UInt8>) -> HTTPHead? {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var lineEnd = index
                if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                lines.append(bytes[lineStart..<lineEnd])
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < bytes.endIndex {
            var lineEnd = bytes.endIndex
            if bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lines.append(bytes[lineStart..<lineEnd])
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let startLine = lines.first else { return nil }
        let parts = startLine.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        var headers: [(String, String)] = []
        headers.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
            let name = line[line.startIndex..<colon]
            guard name.allSatisfy(isTokenByte) else { return nil }
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let lowered = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
            headers.append(
                (String(decoding: lowered, as: UTF8.self), String(decoding: line[valueStart..<valueEnd], as: UTF8.self))
            )
        }
        return HTTPHead(
            first: String(decoding: parts[0], as: UTF8.self), second: String(decoding: parts[1], as: UTF8.self),
            third: parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : "", headers: headers)
    }

    /// Whether a comma-separated field value (`Connection`) lists `token` (given lower-cased), compared without
    /// regard to case.
    static func list(_ value: String, contains token: String) -> Bool {
        value.split(separator: ",").contains { String($0).trimmingSpaces().lowercased() == token }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E...0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}

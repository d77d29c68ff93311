import Glibc

/// A minimal blocking HTTP/1.1 client for plain-http loopback calls (webhook delivery, CLI control calls).
enum HTTPClient {
    /// An answer: status code, header fields (names lower-cased) and the decoded body.
    struct Response: Sendable {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
    }

    /// Sends one request on a fresh connection (`Connection: close`) and reads the whole answer.
    static func send(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeoutSeconds: Int = 10
    ) throws(SandboxError) -> Response {
        let target = try parse(url)
        let fd = try connect(host: target.host, port: target.port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        var head = "\(method) \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        guard SocketIO.sendAll(fd, Array(head.utf8) + body) else {
            throw SandboxError("send to \(target.hostHeader) failed: \(SocketIO.errorText())")
        }
        var buffer: [UInt8] = []
        var headEnd: Int? = nil
        while headEnd == nil {
            guard SocketIO.receive(fd, into: &buffer) else {
                throw SandboxError("no answer from \(target.hostHeader)")
            }
            headEnd = HTTPHead.findEnd(in: buffer, from: 0, scanFrom: 0)
            if headEnd == nil, buffer.count > 64 << 10 { throw SandboxError("answer head too large") }
        }
        guard let end = headEnd, let parsed = HTTPHead.parse(buffer[0..<end]), parsed.first.hasPrefix("HTTP/1."),
            let status = Int(parsed.second)
        else { throw SandboxError("malformed answer from \(target.hostHeader)") }
        if parsed.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                if let decoded = dechunk(Array(buffer[end...])) {
                    return Response(status: status, headers: parsed.headers, body: decoded)
                }
                guard SocketIO.receive(fd, into: &buffer) else { throw SandboxError("truncated chunked answer") }
            }
        }
        if let length = try answerLength(parsed.header("content-length")) {
            while buffer.count - end < length {
                guard SocketIO.receive(fd, into: &buffer) else { throw SandboxError("truncated answer") }
            }
            return Response(status: status, headers: parsed.headers, body: Array(buffer[end..<end + length]))
        }
        while SocketIO.receive(fd, into: &buffer) {}
        return Response(status: status, headers: parsed.headers, body: Array(buffer[end...]))
    }

    /// Largest answer body read; the backend's answers are small JSON documents.
    static let maxAnswerBytes = 16 << 20

    /// An answer's `Content-Length`: nil when absent or malformed (read to the end instead).
    /// - Throws: `SandboxError` when it announces more than `maxAnswerBytes` (however many digits it has).
    static func answerLength(_ text: String?) throws(SandboxError) -> Int? {
        guard let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard let length = Int(text), length <= maxAnswerBytes else {
            throw SandboxError("answer larger than \(maxAnswerBytes) bytes")
        }
        return length
    }

    /// Decodes a complete chunked body; nil while it is still incomplete.
    static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstIndex(of: 0x0A) else { return nil }
            var sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
            if let semicolon = sizeText.firstIndex(of: ";") { sizeText = String(sizeText[..<semicolon]) }
            sizeText = sizeText.trimmingSpaces()
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return out }
            index = lineEnd + 1
            if size == 0 { return out }
            // Subtracting keeps a size at the edge of Int from overflowing the check.
            guard bytes.count - index - 2 >= size else { return nil }
            out.append(contentsOf: bytes[index..<index + size])
            index += size
            if bytes[index] == 0x0D { index += 1 }
            if index < bytes.count, bytes[index] == 0x0A { index += 1 }
        }
    }

    private struct Target {
        let host: String
        let port: Int
        let hostHeader: String
        let path: String
    }

    private static func parse(_ url: String) throws(SandboxError) -> Target {
        guard url.hasPrefix("http://") else { throw SandboxError("only plain http:// URLs are supported: \(url)") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = authority
        var port = 80
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                throw SandboxError("invalid port in \(url)")
            }
            port = value
        }
        guard !host.isEmpty else { throw SandboxError("missing host in \(url)") }
        return Target(host: host, port: port, hostHeader: authority, path: path)
    }

    static func connect(host: String, port: Int, timeoutSeconds: Int) throws(SandboxError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw SandboxError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw SandboxError("socket() failed: \(SocketIO.errorText())") }
        SocketIO.setTimeouts(fd, seconds: timeoutSeconds)
        SocketIO.setNoDelay(fd)
        guard Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = SocketIO.errorText()
            close(fd)
            throw SandboxError("cannot connect to \(host):\(port): \(reason)")
        }
        return fd
    }
}

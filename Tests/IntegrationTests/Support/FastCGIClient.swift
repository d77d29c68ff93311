import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What one FastCGI exchange produced.
enum FastCGIOutcome: Sendable, Equatable {
    /// A complete answer (END_REQUEST received).
    case answered(status: Int, body: String)
    /// The connection was refused or closed before any byte of an answer (not served at all).
    case notServed(String)
    /// Some of an answer arrived, then the connection broke: a request cut off mid-flight.
    case broken(String)
}

/// A minimal FastCGI client over a unix socket, so a test can talk to a responder it started itself without an
/// nginx of its own (the SIGTERM test). One request per connection, role RESPONDER.
enum FastCGIClient {
    /// Sends one request and reads until END_REQUEST or the connection ends.
    static func request(
        socket path: String, method: String, route: String, headers: [(String, String)] = [],
        body: [UInt8] = []
    ) -> FastCGIOutcome {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .notServed("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .notServed("path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return .notServed("connect: errno \(errno)") }

        var params: [(String, String)] = [
            ("REQUEST_METHOD", method), ("DOCUMENT_URI", "/api/\(route)"), ("REQUEST_URI", "/api/\(route)"),
            ("SCRIPT_NAME", "/api/\(route)"), ("QUERY_STRING", ""), ("CONTENT_LENGTH", String(body.count)),
            ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PROTOCOL", "HTTP/1.1"), ("REQUEST_ID", "itest\(TestIDs.random(12))"),
        ]
        if !body.isEmpty { params.append(("CONTENT_TYPE", "application/json")) }
        for (name, value) in headers {
            params.append(("HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_"), value))
        }
        var out = record(type: 1, [0, 1, 0, 0, 0, 0, 0, 0])
        out += record(type: 4, encode(params)) + record(type: 4, [])
        var offset = 0
        while offset < body.count {
            let end = min(offset + 65_535, body.count)
            out += record(type: 5, Array(body[offset..<end]))
            offset = end
        }
        out += record(type: 5, [])
        guard writeAll(fd, out) else { return .notServed("write: errno \(errno)") }
        return readAnswer(fd)
    }

    private static func record(type: UInt8, _ content: [UInt8]) -> [UInt8] {
        let length = content.count
        return [1, type, 0, 1, UInt8(length >> 8), UInt8(length & 0xff), 0, 0] + content
    }

    private static func encode(_ pairs: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func length(_ count: Int) {
            if count < 128 {
                bytes.append(UInt8(count))
            } else {
                bytes += [
                    UInt8((count >> 24) & 0x7f) | 0x80, UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff),
                    UInt8(count & 0xff),
                ]
            }
        }
        for (name, value) in pairs {
            length(name.utf8.count)
            length(value.utf8.count)
            bytes += Array(name.utf8) + Array(value.utf8)
        }
        return bytes
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    private static func readAnswer(_ fd: Int32) -> FastCGIOutcome {
        var buffer: [UInt8] = []
        var stdout: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            // Parse every complete record in the buffer.
            while buffer.count >= 8 {
                let length = Int(buffer[4]) << 8 | Int(buffer[5])
                let total = 8 + length + Int(buffer[6])
                guard buffer.count >= total else { break }
                let type = buffer[1]
                let content = Array(buffer[8..<(8 + length)])
                buffer.removeFirst(total)
                if type == 6 { stdout += content }
                if type == 3 { return parse(stdout) }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                let why = count == 0 ? "closed" : "recv errno \(errno)"
                return buffer.isEmpty && stdout.isEmpty ? .notServed(why) : .broken(why)
            }
            buffer += chunk[0..<count]
        }
    }

    /// Splits the CGI answer into its `Status:` and body.
    private static func parse(_ stdout: [UInt8]) -> FastCGIOutcome {
        let text = String(decoding: stdout, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") ?? text.range(of: "\n\n") else { return .broken("no header end") }
        var status = 200
        for line in text[..<split.lowerBound].split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        where line.lowercased().hasPrefix("status:") {
            status = Int(line.dropFirst(7).trimmingCharacters(in: .whitespaces).prefix(3)) ?? 0
        }
        return .answered(status: status, body: String(text[split.upperBound...]))
    }
}

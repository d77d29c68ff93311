import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal FastCGI client (what nginx does) so the adapter is tested over a real socket without nginx.
enum FastCGITestClient {
    struct ClientError: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends one request (BEGIN_REQUEST, PARAMS, STDIN) and returns the STDOUT bytes and the END_REQUEST app status.
    static func send(socketPath: String, params: [(String, String)], body: [UInt8]) throws -> (
        stdout: [UInt8], ended: Bool
    ) {
        let descriptor = try connect(to: socketPath)
        defer { close(descriptor) }
        try writeAll(descriptor, request(params: params, body: body, keepConnection: false))

        var input: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            input += buffer[0..<count]
        }
        var stdout: [UInt8] = []
        var ended = false
        var index = 0
        while index + 8 <= input.count {
            let type = input[index + 1]
            let contentLength = Int(input[index + 4]) << 8 | Int(input[index + 5])
            let padding = Int(input[index + 6])
            let start = index + 8
            guard start + contentLength <= input.count else { throw ClientError(description: "truncated record") }
            if type == 6 { stdout += input[start..<start + contentLength] }
            if type == 3 { ended = true }
            index = start + contentLength + padding
        }
        return (stdout, ended)
    }

    /// Sends one request with FCGI_KEEP_CONN on an open connection, as nginx does with `fastcgi_keep_conn on`, and
    /// reads records up to its END_REQUEST only: the connection stays open for the next request.
    /// - Returns: the STDOUT bytes.
    static func sendKeeping(on descriptor: Int32, params: [(String, String)], body: [UInt8]) throws -> [UInt8] {
        try writeAll(descriptor, request(params: params, body: body, keepConnection: true))
        var stdout: [UInt8] = []
        while true {
            let header = try readExactly(descriptor, 8)
            let contentLength = Int(header[4]) << 8 | Int(header[5])
            let content = try readExactly(descriptor, contentLength + Int(header[6]))
            if header[1] == 6 { stdout += content[0..<contentLength] }
            if header[1] == 3 { return stdout }
        }
    }

    /// Whether the server closed `descriptor` (a read finds the end of the stream) within `seconds`.
    static func isClosedByServer(_ descriptor: Int32, within seconds: Int32) -> Bool {
        var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&watched, 1, seconds * 1000) == 1 else { return false }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 0
    }

    private static func request(params: [(String, String)], body: [UInt8], keepConnection: Bool) -> [UInt8] {
        var out: [UInt8] = []
        // BEGIN_REQUEST, role RESPONDER, flags: FCGI_KEEP_CONN (1) or none.
        out += record(type: 1, content: [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])
        var encoded: [UInt8] = []
        for (name, value) in params {
            encoded += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        out += chunks(type: 4, encoded) + record(type: 4, content: [])
        out += chunks(type: 5, body) + record(type: 5, content: [])
        return out
    }

    private static func readExactly(_ descriptor: Int32, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = bytes.withUnsafeMutableBytes {
                read(descriptor, $0.baseAddress?.advanced(by: received), count - received)
            }
            guard got > 0 else {
                throw ClientError(description: "connection closed after \(received) of \(count) bytes")
            }
            received += got
        }
        return bytes
    }

    private static func record(type: UInt8, content: [UInt8]) -> [UInt8] {
        let padding = (8 - content.count % 8) % 8
        return [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0] + content
            + [UInt8](repeating: 0, count: padding)
    }

    private static func chunks(type: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + 65535, bytes.count)
            result += record(type: type, content: Array(bytes[start..<end]))
            start = end
        }
        return result
    }

    private static func length(_ value: Int) -> [UInt8] {
        if value < 128 { return [UInt8(value)] }
        return [
            UInt8(value >> 24) | 0x80, UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
        ]
    }

    static func connect(to path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ClientError(description: "socket failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw ClientError(description: "path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (offset, byte) in pathBytes.enumerated() { raw[offset] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw ClientError(description: "connect failed: errno \(errno)")
        }
        return descriptor
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes {
                write(descriptor, $0.baseAddress?.advanced(by: sent), bytes.count - sent)
            }
            guard count > 0 else { throw ClientError(description: "write failed: errno \(errno)") }
            sent += count
        }
    }
}

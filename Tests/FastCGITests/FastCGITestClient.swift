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
        var out: [UInt8] = []
        out += record(type: 1, content: [0, 1, 0, 0, 0, 0, 0, 0])  // BEGIN_REQUEST, role RESPONDER, no keep-alive
        var encoded: [UInt8] = []
        for (name, value) in params {
            encoded += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        out += chunks(type: 4, encoded) + record(type: 4, content: [])
        out += chunks(type: 5, body) + record(type: 5, content: [])
        try writeAll(descriptor, out)

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

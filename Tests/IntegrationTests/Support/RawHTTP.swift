import Foundation
import Glibc

/// HTTP/1.1 over a plain socket, for what URLSession cannot do: a POST from a chosen loopback source address (for the
/// source-IP allow-list: nginx then reports that address as `REMOTE_ADDR`), and requests pipelined on one connection.
enum RawHTTP {
    /// Returns the status code of the answer.
    static func post(from source: String, port: Int, path: String, body: [UInt8], headers: [(String, String)]) throws
        -> Int
    {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let answer = try exchange(from: source, port: port, requests: [Array(head.utf8) + body])[0]
        let statusLine = String(decoding: answer.prefix { $0 != 0x0D }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw HTTPFailure(description: "no HTTP answer: \(statusLine)")
        }
        return status
    }

    /// Sends each request as it is on one connection, each after the answer to the one before (read by its
    /// `Content-Length`), and returns the answers.
    static func exchange(from source: String = "127.0.0.1", port: Int, requests: [[UInt8]]) throws -> [[UInt8]] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func address(_ text: String, _ port: UInt16) -> sockaddr_in {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            inet_pton(AF_INET, text, &addr.sin_addr)
            return addr
        }
        var local = address(source, 0)
        var remote = address("127.0.0.1", UInt16(port))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw HTTPFailure(description: "bind(\(source)) failed: errno \(errno)") }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPFailure(description: "connect failed: errno \(errno)") }
        var answers: [[UInt8]] = []
        var pending: [UInt8] = []
        for request in requests {
            var sent = 0
            while sent < request.count {
                let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw HTTPFailure(description: "send failed") }
                sent += n
            }
            answers.append(try readAnswer(fd, buffered: &pending))
        }
        return answers
    }

    /// Reads one answer: its head, then as many body bytes as its `Content-Length` says (all until close without one).
    private static func readAnswer(_ fd: Int32, buffered: inout [UInt8]) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        func more() -> Bool {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffered.append(contentsOf: buffer[0..<n])
            return true
        }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffered.indices.dropLast(3).first { buffered[$0..<$0 + 4].elementsEqual(separator) }
            if headEnd == nil, !more() { throw HTTPFailure(description: "connection closed before an answer") }
        }
        let bodyStart = (headEnd ?? 0) + 4
        let head = String(decoding: buffered[..<bodyStart], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
        if let length {
            while buffered.count < bodyStart + length {
                guard more() else { throw HTTPFailure(description: "connection closed inside an answer") }
            }
            let answer = Array(buffered[..<(bodyStart + length)])
            buffered.removeFirst(bodyStart + length)
            return answer
        }
        while more() {}
        defer { buffered.removeAll() }
        return buffered
    }
}

import Foundation
import Glibc

/// A minimal EventSource client on a raw socket, for the live status tests: it sends one GET with
/// `Accept: text/event-stream` and reads the answer incrementally (URLSession only hands over a finished body).
final class EventStream {
    /// One server-sent event: `id:` and `data:` lines, or a `:` comment (heartbeat).
    struct Event: Equatable {
        var id: String?
        var data: String?
        var comment: String?
    }

    /// The answer's status (nchan answers the authorize hook's status when it refuses).
    private(set) var status = -1
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to nginx at `port` and subscribes to `path` (with its query); returns once the status line and the
    /// headers are in (nchan answers them only after the authorize hook).
    init(port: Int, path: String, headers: [(String, String)] = [], timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(description: "socket() failed") }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw HTTPFailure(description: "connect to \(port) failed: errno \(errno)")
        }
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let deadline = Date().addingTimeInterval(timeout)
        var headEnd: Int?
        while headEnd == nil {
            guard try fill(until: deadline) else {
                close(fd)
                throw HTTPFailure(description: "no answer head from \(path)")
            }
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
        }
        guard let end = headEnd else { throw HTTPFailure(description: "unreachable") }
        let headText = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        let parts = headText.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]) else {
            close(fd)
            throw HTTPFailure(description: "bad status line: \(headText.prefix(80))")
        }
        status = code
        chunked = headText.lowercased().contains("transfer-encoding: chunked")
    }

    private var chunked = false
    private var decoded: [UInt8] = []

    deinit { close(fd) }

    /// The next event (comments included) within `timeout` seconds, or nil.
    func next(timeout: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            decodeChunks()
            if let end = Self.find([10, 10], in: decoded) {
                let block = String(decoding: decoded[..<end], as: UTF8.self)
                decoded.removeFirst(end + 2)
                var event = Event()
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") {
                        event.comment = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
                    } else if line.hasPrefix("id:") {
                        event.id = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                    } else if line.hasPrefix("data:") {
                        let text = String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces)
                        event.data = (event.data.map { $0 + "\n" } ?? "") + text
                    }
                }
                if event != Event() { return event }
                continue
            }
            guard try fill(until: deadline) else { return nil }
        }
    }

    /// The next `data:` event (comments skipped) within `timeout` seconds, or nil.
    func nextMessage(timeout: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let event = try next(timeout: left) else { return nil }
            if event.data != nil { return event }
        }
    }

    /// Moves complete chunks (or everything, without chunked encoding) from the socket buffer to `decoded`.
    private func decodeChunks() {
        guard chunked else {
            decoded += buffer
            buffer = []
            return
        }
        while let lineEnd = Self.find([13, 10], in: buffer) {
            let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return }
            guard buffer.count >= lineEnd + 2 + size + 2 else { return }
            decoded += buffer[(lineEnd + 2)..<(lineEnd + 2 + size)]
            buffer.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    /// Reads what arrives before `deadline`; false when nothing did (timeout or the connection closed).
    private func fill(until deadline: Date) throws -> Bool {
        let millis = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, millis) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where Array(haystack[index..<(index + needle.count)]) == needle
        {
            return index
        }
        return nil
    }
}

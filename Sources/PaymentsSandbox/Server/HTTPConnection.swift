import Glibc
import Logging

/// Serves one accepted connection: HTTP/1.1 keep-alive, Content-Length bodies only, until the peer closes.
struct HTTPConnection {
    static let maxHead = 64 << 10
    static let maxBody = 1 << 20

    let fd: Int32
    let service: any SandboxService
    let logger: Logger
    let serverName: String

    /// Runs the request loop and closes the socket when done; never throws or traps on bad input.
    func run() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer {
            scratch.deallocate()
            close(fd)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 << 10)
        var consumed = 0
        while true {
            if consumed > 0 {
                if consumed >= buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                } else {
                    buffer.removeFirst(consumed)
                }
                consumed = 0
            }
            var skip = 0
            var scanned = 0
            var headEnd: Int? = nil
            while true {
                while skip < buffer.count, buffer[skip] == 0x0D || buffer[skip] == 0x0A { skip += 1 }
                headEnd = HTTPHead.findEnd(in: buffer, from: skip, scanFrom: scanned)
                if headEnd != nil { break }
                if buffer.count - skip > Self.maxHead {
                    reject(431, "request head too large")
                    return
                }
                scanned = max(skip, buffer.count - 3)
                guard SocketIO.receive(fd, into: &buffer, scratch: scratch) else { return }
            }
            guard let end = headEnd, end - skip <= Self.maxHead else {
                reject(431, "request head too large")
                return
            }
            guard let head = HTTPHead.parse(buffer[skip..<end]) else {
                reject(400, "malformed request head")
                return
            }
            guard head.first.utf8.allSatisfy(HTTPHead.isTokenByte), !head.first.isEmpty,
                head.third == "HTTP/1.1" || head.third == "HTTP/1.0", head.second.hasPrefix("/")
            else {
                reject(400, "malformed request line")
                return
            }
            if head.header("transfer-encoding") != nil {
                reject(411, "chunked request bodies are not supported; send Content-Length")
                return
            }
            var length = 0
            let lengths = head.headers.filter { $0.0 == "content-length" }.map(\.1)
            if let first = lengths.first {
                guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 12,
                    first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(first)
                else {
                    reject(400, "invalid Content-Length")
                    return
                }
                length = value
            }
            if length > Self.maxBody {
                reject(413, "body larger than 1 MiB")
                return
            }
            if buffer.count < end + length, head.header("expect")?.lowercased() == "100-continue" {
                guard SocketIO.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            }
            while buffer.count < end + length {
                guard SocketIO.receive(fd, into: &buffer, scratch: scratch) else { return }
            }
            let body = Array(buffer[end..<end + length])
            consumed = end + length
            let connection = head.header("connection") ?? ""
            let keepAlive =
                head.third == "HTTP/1.1"
                ? !HTTPHead.list(connection, contains: "close") : HTTPHead.list(connection, contains: "keep-alive")
            let started = SocketIO.monotonicMilliseconds()
            let request = Self.makeRequest(head: head, body: body)
            let response = service.handle(request)
            let elapsed = SocketIO.monotonicMilliseconds() - started
            if response.dropConnection {
                logger.info("\(serverName) \(request.method) \(request.path) dropped \(Int(elapsed))ms")
                return
            }
            guard SocketIO.sendAll(fd, Self.serialize(response, keepAlive: keepAlive)) else { return }
            logger.info("\(serverName) \(request.method) \(request.path) \(response.status) \(Int(elapsed))ms")
            if !keepAlive { return }
        }
    }

    private func reject(_ status: Int, _ message: String) {
        logger.info("\(serverName) rejected \(status): \(message)")
        _ = SocketIO.sendAll(fd, Self.serialize(.text(status, message + "\n"), keepAlive: false))
    }

    static func makeRequest(head: HTTPHead, body: [UInt8]) -> SandboxRequest {
        let target = head.second
        var path = target
        var query: [(String, String)] = []
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            let queryText = target[target.index(after: mark)...]
            if !queryText.isEmpty { query = FormDecoding.parse(String(queryText)) }
        }
        return SandboxRequest(method: head.first, path: path, query: query, headers: head.headers, body: body)
    }

    static func serialize(_ response: SandboxResponse, keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(SandboxResponse.reason(for: response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        return bytes
    }
}

import Foundation
import Signing
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for transport tests: keep-alive, a few fixed paths, connection counting;
/// over TLS when given a server context (`TestTLS`).
///
/// `@unchecked Sendable`: the listening descriptor and port are set once in `init`; the counters sit in a Mutex.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: UInt16
    /// Set for an `https://` server.
    let tls: TLSContext?
    /// Close each connection right after its TLS handshake, reading nothing (a peer that has gone).
    private let hangUpAfterHandshake: Bool
    private let listener: Int32
    private let connections = Mutex(0)
    private let requests = Mutex(0)
    private let closed = Mutex(false)
    /// Requests waiting at `/together` for the others of their group.
    private let gathered = Mutex(0)

    init(tls: TLSContext? = nil, hangUpAfterHandshake: Bool = false) throws {
        self.tls = tls
        self.hangUpAfterHandshake = hangUpAfterHandshake
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var base: String { (tls == nil ? "http://" : "https://") + "127.0.0.1:\(port)" }
    var connectionCount: Int { connections.withLock { $0 } }
    /// Requests read whole (over TLS: only after a completed handshake).
    var requestCount: Int { requests.withLock { $0 } }

    func stop() {
        closed.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !closed.withLock({ $0 }) {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            connections.withLock { $0 += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        let peer: Peer
        do {
            peer = try Peer(fd, tls: tls)
        } catch {
            return
        }
        if hangUpAfterHandshake { return }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            // Read one request head, then its body (Content-Length only).
            var headEnd: Int?
            while headEnd == nil {
                if let range = buffer.firstRange(of: Array("\r\n\r\n".utf8)) {
                    headEnd = range.upperBound
                    break
                }
                let count = peer.read(&chunk)
                if count <= 0 { return }
                buffer.append(contentsOf: chunk[0..<count])
            }
            guard let end = headEnd else { return }
            let head = String(decoding: buffer[0..<end], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let requestLine = lines.first.map(String.init) ?? ""
            let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            var length = 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].lowercased()
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                headers[name] = value
                if name == "content-length" { length = Int(value) ?? 0 }
            }
            while buffer.count < end + length {
                let count = peer.read(&chunk)
                if count <= 0 { return }
                buffer.append(contentsOf: chunk[0..<count])
            }
            let body = Array(buffer[end..<(end + length)])
            buffer.removeFirst(end + length)
            requests.withLock { $0 += 1 }
            respond(peer, method: String(requestLine.prefix { $0 != " " }), path: path, headers: headers, body: body)
        }
    }

    private func respond(_ fd: Peer, method: String, path: String, headers: [String: String], body: [UInt8]) {
        var status = "200 OK"
        var extra = ""
        var payload: [UInt8] = []
        switch path {
        case "/echo":
            extra = "X-Echo-Method: \(method)\r\nX-Echo-Key: \(headers["x-api-key"] ?? "")\r\n"
            payload = body
        case "/redirect":
            status = "302 Found"
            extra = "Location: /echo\r\n"
        case "/big":
            payload = [UInt8](repeating: 0x61, count: 64 * 1024)
        case "/together":
            // Answers only once `Together-Count` requests are here at once (else 504 after 3 s): passes only for
            // requests that are in flight together.
            let group = Int(headers["together-count"] ?? "") ?? 2
            gathered.withLock { $0 += 1 }
            let deadline = Date().addingTimeInterval(3)
            while gathered.withLock({ $0 }) < group && Date() < deadline { usleep(1_000) }
            if gathered.withLock({ $0 }) < group { status = "504 Gateway Timeout" }
            payload = body
        case "/slow":
            usleep(1_500_000)
            payload = Array("late".utf8)
        case "/error":
            status = "503 Service Unavailable"
            extra = "Retry-After: 7\r\n"
            payload = Array(#"{"errorName":"Down"}"#.utf8)
        case "/chunked":
            let chunks = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"
            let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
            send(fd, Array((head + chunks).utf8))
            return
        case "/huge-chunk":
            // A chunk size at the edge of Int64 after a first chunk: the size check must not overflow.
            let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n7fffffffffffffff\r\nabc"
            send(fd, Array(head.utf8))
            return
        case "/huge-length":
            send(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nabc".utf8))
            return
        case "/until-close":
            send(fd, Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it".utf8))
            fd.close()
            return
        case "/then-close":
            // Answers as if keeping the connection alive, then closes it: the client's pooled connection goes stale.
            send(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbye!".utf8))
            fd.close()
            return
        case "/cut":
            // Framed by the end of the connection, which comes without TLS's close notification.
            send(fd, Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart of it".utf8))
            shutdown(fd.descriptor, Int32(SHUT_RDWR))
            return
        case "/ticket-later":
            // The answer, then (over TLS 1.3) a session ticket while the connection idles.
            send(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
            try? fd.stream?.sendSessionTicket()
            return
        case "/interim":
            send(fd, Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok".utf8))
            return
        default:
            status = "404 Not Found"
        }
        let head =
            "HTTP/1.1 \(status)\r\nContent-Length: \(payload.count)\r\nContent-Type: application/json\r\n\(extra)\r\n"
        send(fd, Array(head.utf8) + payload)
    }

    private func send(_ peer: Peer, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = peer.write(bytes[offset...])
            if written <= 0 { return }
            offset += written
        }
    }
}

/// One accepted connection, plain or TLS (blocking: the server thread simply waits).
private struct Peer {
    let descriptor: Int32
    let stream: TLSStream?

    init(_ descriptor: Int32, tls: TLSContext?) throws {
        self.descriptor = descriptor
        guard let tls else {
            stream = nil
            return
        }
        let stream = try TLSStream(accepting: descriptor, context: tls)
        while try stream.handshake() != nil {}
        self.stream = stream
    }

    func read(_ chunk: inout [UInt8]) -> Int {
        guard let stream else { return Glibc.read(descriptor, &chunk, chunk.count) }
        let transfer = chunk.withUnsafeMutableBytes { try? stream.read(into: $0) }
        if case .bytes(let count) = transfer { return count }
        return 0
    }

    func write(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let stream else { return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } }
        let transfer = bytes.withUnsafeBytes { try? stream.write($0) }
        if case .bytes(let count) = transfer { return count }
        return 0
    }

    /// Ends the connection the way the protocol does: TLS's close notification first, then the socket's end.
    func close() {
        stream?.closeNotify()
        shutdown(descriptor, Int32(SHUT_RDWR))
    }
}

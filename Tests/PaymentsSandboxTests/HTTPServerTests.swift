import Logging
import Testing

@testable import PaymentsSandbox

@Suite("HTTP server")
struct HTTPServerTests {
    func withServer(_ body: (HTTPServer, RecordingService) throws -> Void) throws {
        let service = RecordingService()
        let server = try HTTPServer(name: "test", port: 0, service: service, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        try body(server, service)
    }

    @Test("keep-alive serves pipelined requests on one connection and honours Connection: close")
    func keepAlive() throws {
        try withServer { server, service in
            let text = try rawExchange(
                port: server.port,
                Array(
                    "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET /b?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"
                        .utf8))
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            let requests = service.requests.withLock { $0 }
            #expect(requests.map(\.path) == ["/a", "/b"])
            #expect(requests.first?.body == Array("{}".utf8))
            #expect(requests.last?.queryValue("x") == "1")
        }
    }

    @Test("malformed heads are 400, chunked bodies 411, oversized bodies 413, and the server keeps serving")
    func rejectsBadInput() throws {
        try withServer { server, _ in
            #expect(
                try rawExchange(port: server.port, Array("\u{01}\u{02} nonsense\r\n\r\n".utf8)).hasPrefix(
                    "HTTP/1.1 400"))
            #expect(
                try rawExchange(
                    port: server.port, Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8)
                )
                .hasPrefix("HTTP/1.1 411"))
            #expect(
                try rawExchange(port: server.port, Array("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n".utf8))
                    .hasPrefix("HTTP/1.1 413"))
            #expect(
                try rawExchange(
                    port: server.port, Array("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8)
                )
                .hasPrefix("HTTP/1.1 400"))
            let ok = try HTTPClient.send(method: "GET", url: "http://127.0.0.1:\(server.port)/health")
            #expect(ok.status == 200)
        }
    }
}

import Foundation
import OutboundHTTP
import PaymentsCore
import Testing

@Suite("SocketHTTPTransport against a loopback server, plain and over TLS", .serialized)
struct SocketHTTPTransportTests {
    @Test("consecutive calls reuse one keep-alive connection", arguments: TransportKind.allCases)
    func keepAlive(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        for call in 0..<5 {
            let body = Array("call \(call)".utf8)
            let response = try transport.send(
                HTTPRequest(method: "POST", url: server.base + "/echo", body: body, timeout: 5))
            #expect(response.body == body)
        }
        #expect(server.connectionCount == 1)
        #expect(transport.connectionsOpened == 1)
    }

    @Test(
        "chunked bodies are decoded, trailers skipped, and the connection is reused", arguments: TransportKind.allCases)
    func chunked(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/chunked", timeout: 5))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "Wikipedia")
        let next = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
        #expect(next.status == 200)
        #expect(transport.connectionsOpened == 1)
    }

    /// Issue 6, item 1: sizes a peer announces are compared without overflowing.
    @Test(
        "a chunk size or Content-Length beyond Int64 throws tooLarge, never traps",
        arguments: TransportKind.allCases, ["/huge-chunk", "/huge-length"])
    func hugeAnnouncedSizes(kind: TransportKind, path: String) throws {
        let server = try kind.server()
        defer { server.stop() }
        #expect {
            try kind.make().send(HTTPRequest(method: "GET", url: server.base + path, timeout: 5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
    }

    @Test(
        "a body delimited by the end of the connection is read whole; the next call opens a new connection",
        arguments: TransportKind.allCases)
    func untilClose(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/until-close", timeout: 5))
        #expect(String(decoding: response.body, as: UTF8.self) == "all of it")
        _ = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
        #expect(transport.connectionsOpened == 2)
    }

    @Test("an interim 100 answer is skipped", arguments: TransportKind.allCases)
    func interim(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let response = try kind.make().send(
            HTTPRequest(method: "POST", url: server.base + "/interim", timeout: 5))
        #expect(response.status == 201)
        #expect(response.body == Array("ok".utf8))
    }

    @Test("a refused connection throws connection; other schemes, user info and bad ports throw invalidURL")
    func failures() throws {
        let server = try LoopbackHTTPServer()
        let closedBase = server.base
        server.stop()
        #expect {
            _ = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: closedBase + "/echo", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .connection }
        for url in [
            "ftp://example/x", "https://user@127.0.0.1/x", "http://user@127.0.0.1/x", "http://127.0.0.1:99999/x",
        ] {
            #expect {
                _ = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: url, timeout: 2))
            } throws: { ($0 as? HTTPTransportError)?.kind == .invalidURL }
        }
    }

    @Test("a pooled connection the server closed is replaced, not reported", arguments: TransportKind.allCases)
    func staleKeepAlive(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let first = try transport.send(HTTPRequest(method: "GET", url: server.base + "/then-close", timeout: 5))
        #expect(first.body == Array("bye!".utf8))
        usleep(50_000)
        let response = try transport.send(
            HTTPRequest(method: "POST", url: server.base + "/echo", body: [1], timeout: 5))
        #expect(response.status == 200)
        #expect(response.body == [1])
        #expect(transport.connectionsOpened == 2)
    }

    @Test(
        "send(all:) has every request in flight at once, answers each in order and reuses the connections",
        arguments: TransportKind.allCases)
    func inFlightTogether(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let requests = (0..<3).map { index in
            HTTPRequest(
                method: "POST", url: server.base + "/together", headers: [("Together-Count", "3")],
                body: Array("row \(index)".utf8), timeout: 5)
        }
        let first = transport.send(all: requests).map { try? $0.get() }
        #expect(first.map { $0?.status } == [200, 200, 200])
        #expect(first.map { $0.map { String(decoding: $0.body, as: UTF8.self) } } == ["row 0", "row 1", "row 2"])
        let echoes = transport.send(
            all: (0..<3).map { index in
                HTTPRequest(method: "POST", url: server.base + "/echo", body: [UInt8(index)], timeout: 5)
            })
        #expect(echoes.map { try? $0.get().body } == [[0], [1], [2]])
        #expect(transport.connectionsOpened == 3)
        #expect(server.connectionCount == 3)
    }

    @Test("send(all:) keeps no more idle connections than the pool's limit: the extra ones are opened anew")
    func inFlightBeyondThePool() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport(maxIdlePerHost: 2)
        for round in 0..<2 {
            let requests = (0..<3).map { index in
                HTTPRequest(
                    method: "POST", url: server.base + "/together", headers: [("Together-Count", "3")],
                    body: [UInt8(round), UInt8(index)], timeout: 5)
            }
            #expect(transport.send(all: requests).map { try? $0.get().status } == [200, 200, 200])
        }
        // Three in flight, two kept: the second round reuses two and opens one.
        #expect(transport.connectionsOpened == 4)
        #expect(server.connectionCount == 4)
    }

    @Test(
        "send(all:) answers a bad URL alone and replaces pooled connections the server closed",
        arguments: TransportKind.allCases)
    func inFlightFailures(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let closing = transport.send(
            all: (0..<2).map { _ in
                HTTPRequest(method: "GET", url: server.base + "/then-close", timeout: 5)
            })
        #expect(closing.map { try? $0.get().body } == [Array("bye!".utf8), Array("bye!".utf8)])
        usleep(50_000)
        let results = transport.send(all: [
            HTTPRequest(method: "POST", url: server.base + "/echo", body: [1], timeout: 5),
            HTTPRequest(method: "POST", url: "ftp://127.0.0.1/echo", body: [2], timeout: 5),
            HTTPRequest(method: "POST", url: server.base + "/echo", body: [3], timeout: 5),
        ])
        #expect(try results[0].get().body == [1])
        #expect(throws: HTTPTransportError.self) { try results[1].get() }
        #expect(try results[2].get().body == [3])
        #expect(transport.connectionsOpened == 4)
    }
}

import Foundation
import PaymentsCore
import Testing

@Suite("SocketHTTPTransport against a loopback server", .serialized)
struct SocketHTTPTransportTests {
    @Test("sends method, headers and body; returns status, lower-cased headers and body")
    func roundTrip() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let response = try SocketHTTPTransport().send(
            HTTPRequest(
                method: "POST", url: server.base + "/echo",
                headers: [("X-Api-Key", "abc"), ("Content-Type", "application/json")],
                body: Array(#"{"a":1}"#.utf8), timeout: 5))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"a":1}"#)
        #expect(response.headers["x-echo-method"] == "POST")
        #expect(response.headers["x-echo-key"] == "abc")
        #expect(response.headers["content-type"] == "application/json")
    }

    @Test("consecutive calls reuse one keep-alive connection")
    func keepAlive() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        for call in 0..<5 {
            let body = Array("call \(call)".utf8)
            let response = try transport.send(
                HTTPRequest(method: "POST", url: server.base + "/echo", body: body, timeout: 5))
            #expect(response.body == body)
        }
        #expect(server.connectionCount == 1)
        #expect(transport.connectionsOpened == 1)
    }

    @Test("chunked bodies are decoded, trailers skipped, and the connection is reused")
    func chunked() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/chunked", timeout: 5))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "Wikipedia")
        let next = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
        #expect(next.status == 200)
        #expect(transport.connectionsOpened == 1)
    }

    @Test("a body delimited by the end of the connection is read whole; the next call opens a new connection")
    func untilClose() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/until-close", timeout: 5))
        #expect(String(decoding: response.body, as: UTF8.self) == "all of it")
        _ = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
        #expect(transport.connectionsOpened == 2)
    }

    @Test("an interim 100 answer is skipped")
    func interim() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let response = try SocketHTTPTransport().send(
            HTTPRequest(method: "POST", url: server.base + "/interim", timeout: 5))
        #expect(response.status == 201)
        #expect(response.body == Array("ok".utf8))
    }

    @Test("redirects are returned, not followed; 5xx answers keep their headers")
    func statuses() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let redirect = try transport.send(HTTPRequest(method: "GET", url: server.base + "/redirect", timeout: 5))
        #expect(redirect.status == 302)
        #expect(redirect.headers["location"] == "/echo")
        let failure = try transport.send(HTTPRequest(method: "POST", url: server.base + "/error", timeout: 5))
        #expect(failure.status == 503)
        #expect(failure.headers["retry-after"] == "7")
        #expect(RetailAnswerCheck.errorName(failure.body) == "Down")
    }

    @Test("a body over the limit throws tooLarge")
    func tooLarge() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        #expect {
            _ = try SocketHTTPTransport(maxResponseBytes: 1000).send(
                HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
        var capped = HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5)
        capped.maxResponseBytes = 10
        #expect {
            _ = try SocketHTTPTransport().send(capped)
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
        let fits = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        #expect(fits.body.count == 64 * 1024)
    }

    @Test("a slow answer past the timeout throws timeout within about the timeout")
    func timeout() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let started = Date()
        #expect {
            _ = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: server.base + "/slow", timeout: 0.5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 1.2)
    }

    @Test("a refused connection throws connection; https and other schemes throw invalidURL")
    func failures() throws {
        let server = try LoopbackHTTPServer()
        let closedBase = server.base
        server.stop()
        #expect {
            _ = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: closedBase + "/echo", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .connection }
        for url in ["https://127.0.0.1/x", "ftp://example/x", "http://user@127.0.0.1/x", "http://127.0.0.1:99999/x"] {
            #expect {
                _ = try SocketHTTPTransport().send(HTTPRequest(method: "GET", url: url, timeout: 2))
            } throws: { ($0 as? HTTPTransportError)?.kind == .invalidURL }
        }
    }

    @Test("a pooled connection the server closed is replaced, not reported")
    func staleKeepAlive() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let first = try transport.send(HTTPRequest(method: "GET", url: server.base + "/then-close", timeout: 5))
        #expect(first.body == Array("bye!".utf8))
        usleep(50_000)
        let response = try transport.send(
            HTTPRequest(method: "POST", url: server.base + "/echo", body: [1], timeout: 5))
        #expect(response.status == 200)
        #expect(response.body == [1])
        #expect(transport.connectionsOpened == 2)
    }

    @Test("many threads at once each get their own answers over a shared pool")
    func concurrent() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let group = DispatchGroup()
        let failures = LockedCounter()
        for index in 0..<8 {
            group.enter()
            let thread = Thread {
                for call in 0..<20 {
                    let body = Array("t\(index)-\(call)".utf8)
                    let answer = try? transport.send(
                        HTTPRequest(method: "POST", url: server.base + "/echo", body: body, timeout: 5))
                    if answer?.body != body { failures.add() }
                }
                group.leave()
            }
            thread.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(failures.value == 0)
        #expect(transport.connectionsOpened <= 8)
    }

    @Test("OutboundTransport sends plain http through sockets")
    func outboundRouting() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = OutboundTransport()
        let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
        #expect(response.status == 200)
        #expect(transport.plain.connectionsOpened == 1)
        #expect {
            _ = try transport.send(HTTPRequest(method: "GET", url: "ftp://example/x", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .invalidURL }
    }
}

/// Reads `errorName` from a JSON error body, as the Retail client does.
enum RetailAnswerCheck {
    static func errorName(_ body: [UInt8]) -> String? {
        HTTPResponse(status: 503, body: body).json?["errorName"]?.stringValue
    }
}

import Foundation
import PaymentsCore
import Synchronization
import Testing

@Suite("URLSessionTransport against a loopback server", .serialized)
struct URLSessionTransportTests {
    @Test("sends method, headers and body; returns status, lower-cased headers and body")
    func roundTrip() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        let response = try transport.send(
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

    @Test("calls from one thread reuse one keep-alive connection")
    func keepAlive() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        for _ in 0..<5 {
            let response = try transport.send(HTTPRequest(method: "GET", url: server.base + "/echo", timeout: 5))
            #expect(response.status == 200)
        }
        #expect(server.connectionCount == 1)
    }

    @Test("redirects are returned, not followed")
    func noRedirects() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let response = try URLSessionTransport().send(
            HTTPRequest(method: "GET", url: server.base + "/redirect", timeout: 5))
        #expect(response.status == 302)
        #expect(response.headers["location"] == "/echo")
    }

    @Test("5xx answers are returned with their headers")
    func serverError() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let response = try URLSessionTransport().send(
            HTTPRequest(method: "POST", url: server.base + "/error", timeout: 5))
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "7")
    }

    @Test("a body over the limit throws tooLarge")
    func tooLarge() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = URLSessionTransport(maxResponseBytes: 1000)
        #expect {
            _ = try transport.send(HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
        let fits = try URLSessionTransport(maxResponseBytes: 100_000).send(
            HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        #expect(fits.body.count == 64 * 1024)
    }

    @Test("a slow answer past the timeout throws timeout within about the timeout")
    func timeout() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let started = Date()
        #expect {
            _ = try URLSessionTransport().send(HTTPRequest(method: "GET", url: server.base + "/slow", timeout: 0.5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 1.4)
    }

    @Test("a refused connection throws connection; a bad URL throws invalidURL")
    func failures() throws {
        let server = try LoopbackHTTPServer()
        let closedBase = server.base
        server.stop()
        #expect {
            _ = try URLSessionTransport().send(HTTPRequest(method: "GET", url: closedBase + "/echo", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .connection }
        #expect {
            _ = try URLSessionTransport().send(HTTPRequest(method: "GET", url: "ftp://example/x", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .invalidURL }
    }

    @Test("many threads at once each get their answers")
    func concurrent() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        let group = DispatchGroup()
        let failures = LockedCounter()
        for index in 0..<8 {
            group.enter()
            let thread = Thread {
                for call in 0..<10 {
                    let body = Array("t\(index)-\(call)".utf8)
                    let answer = try? transport.send(
                        HTTPRequest(method: "POST", url: server.base + "/echo", body: body, timeout: 5))
                    if answer?.body != body { failures.add() }
                }
                transport.releaseCurrentThreadSession()
                group.leave()
            }
            thread.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(failures.value == 0)
        #expect(server.connectionCount <= 8 * 2)
    }
}

/// A thread-safe counter for the concurrency test.
final class LockedCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

import Foundation
import OutboundHTTP
import PaymentsCore
import Signing
import Synchronization
import Testing

/// Plain `http://` and `https://` (TLS through OpenSSL, a test authority trusted), so one contract suite runs over
/// both.
enum TransportKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case plain, tls

    var testDescription: String { rawValue }

    func make(maxResponseBytes: Int = 4 * 1024 * 1024) throws -> SocketHTTPTransport {
        SocketHTTPTransport(
            maxResponseBytes: maxResponseBytes, trust: self == .tls ? try TestTLS.shared.client() : nil)
    }

    func server() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer(tls: self == .tls ? try TestTLS.shared.server() : nil)
    }
}

/// What the HTTPTransport protocol promises, checked against a real loopback server, plain and over TLS.
@Suite("HTTPTransport contract against a loopback server", .serialized)
struct HTTPTransportContractTests {
    @Test(
        "sends method, headers and body; returns status, lower-cased headers and body",
        arguments: TransportKind.allCases)
    func roundTrip(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let response = try kind.make().send(
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

    @Test("redirects are returned, not followed; 5xx answers keep their headers", arguments: TransportKind.allCases)
    func statuses(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
        let redirect = try transport.send(HTTPRequest(method: "GET", url: server.base + "/redirect", timeout: 5))
        #expect(redirect.status == 302)
        #expect(redirect.headers["location"] == "/echo")
        let failure = try transport.send(HTTPRequest(method: "POST", url: server.base + "/error", timeout: 5))
        #expect(failure.status == 503)
        #expect(failure.headers["retry-after"] == "7")
        #expect(failure.json?["errorName"]?.stringValue == "Down")
    }

    @Test("a body over the limit throws tooLarge; one within it arrives whole", arguments: TransportKind.allCases)
    func tooLarge(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        #expect {
            _ = try kind.make(maxResponseBytes: 1000).send(
                HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
        var capped = HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5)
        capped.maxResponseBytes = 10
        #expect {
            _ = try kind.make().send(capped)
        } throws: { ($0 as? HTTPTransportError)?.kind == .tooLarge }
        let fits = try kind.make().send(HTTPRequest(method: "GET", url: server.base + "/big", timeout: 5))
        #expect(fits.body.count == 64 * 1024)
    }

    @Test("a slow answer past the timeout throws timeout within about the timeout", arguments: TransportKind.allCases)
    func timeout(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let started = Date()
        #expect {
            _ = try kind.make().send(HTTPRequest(method: "GET", url: server.base + "/slow", timeout: 0.5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 1.4)
    }

    @Test(
        "a refused connection throws connection; an unsupported URL throws invalidURL",
        arguments: TransportKind.allCases)
    func failures(kind: TransportKind) throws {
        let server = try kind.server()
        let closedBase = server.base
        server.stop()
        #expect {
            _ = try kind.make().send(HTTPRequest(method: "GET", url: closedBase + "/echo", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .connection }
        #expect {
            _ = try kind.make().send(HTTPRequest(method: "GET", url: "ftp://example/x", timeout: 2))
        } throws: { ($0 as? HTTPTransportError)?.kind == .invalidURL }
    }

    @Test("many threads at once each get their own answers", arguments: TransportKind.allCases)
    func concurrent(kind: TransportKind) throws {
        let server = try kind.server()
        defer { server.stop() }
        let transport = try kind.make()
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
                group.leave()
            }
            thread.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(failures.value == 0)
        #expect(server.connectionCount <= 8 * 2)
    }
}

/// A thread-safe counter for the concurrency tests.
final class LockedCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

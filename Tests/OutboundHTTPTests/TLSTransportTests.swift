import Foundation
import OutboundHTTP
import PaymentsCore
import Signing
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `https://` adds to the contract: the peer is verified (chain and name) before a byte of the request is
/// sent, every wait keeps the deadline, and a body framed by the connection's end must end the TLS way.
@Suite("SocketHTTPTransport's TLS checks", .serialized)
struct TLSTransportTests {
    private func get(_ url: String, through transport: SocketHTTPTransport, timeout: Double = 5) throws
        -> HTTPResponse
    {
        try transport.send(HTTPRequest(method: "POST", url: url, body: Array("secret".utf8), timeout: timeout))
    }

    /// The error a refused handshake must give: `.connection`, naming the reason.
    private func refused(_ error: any Error, saying reason: String) -> Bool {
        guard let error = error as? HTTPTransportError else { return false }
        return error.kind == .connection && error.detail.contains(reason)
    }

    @Test("a certificate from an authority the client does not trust is refused before the request is sent")
    func untrustedAuthority() throws {
        let stranger = try TestTLS(name: "someone else's root")
        let server = try LoopbackHTTPServer(tls: try stranger.server())
        defer { server.stop() }
        #expect {
            _ = try get(server.base + "/echo", through: SocketHTTPTransport(trust: try TestTLS.shared.client()))
        } throws: { refused($0, saying: "not trusted") }
        #expect(server.requestCount == 0)
        // The same server is fine for a client that trusts its authority.
        let trusting = SocketHTTPTransport(trust: try stranger.client())
        #expect(try get(server.base + "/echo", through: trusting).body == Array("secret".utf8))
        #expect(server.requestCount == 1)
    }

    @Test("the system's trust store does not trust a test authority")
    func systemStore() throws {
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server())
        defer { server.stop() }
        #expect {
            _ = try get(server.base + "/echo", through: SocketHTTPTransport())
        } throws: { refused($0, saying: "not trusted") }
        #expect(server.requestCount == 0)
    }

    @Test("SSL_CERT_FILE points the system trust at another bundle, as OpenSSL documents")
    func certificateFileVariable() throws {
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server())
        defer { server.stop() }
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("tn-tls-\(getpid()).pem").path
        try TestTLS.shared.root.pem.write(toFile: bundle, atomically: true, encoding: .utf8)
        setenv("SSL_CERT_FILE", bundle, 1)
        defer {
            unsetenv("SSL_CERT_FILE")
            unlink(bundle)
        }
        #expect(try get(server.base + "/echo", through: SocketHTTPTransport()).status == 200)
    }

    @Test("a certificate for another name is refused; the URL's host is what is checked (DNS name or IP address)")
    func hostName() throws {
        let elsewhere = try LoopbackHTTPServer(tls: try TestTLS.shared.server(dnsNames: ["pay.example.com"], ipv4: nil))
        defer { elsewhere.stop() }
        let transport = SocketHTTPTransport(trust: try TestTLS.shared.client())
        #expect {
            _ = try get(elsewhere.base + "/echo", through: transport)
        } throws: { refused($0, saying: "not trusted") }
        #expect {
            _ = try get("https://localhost:\(elsewhere.port)/echo", through: transport)
        } throws: { refused($0, saying: "not trusted") }
        #expect(elsewhere.requestCount == 0)

        // A certificate naming only `localhost` serves https://localhost, not https://127.0.0.1.
        let named = try LoopbackHTTPServer(tls: try TestTLS.shared.server(dnsNames: ["localhost"], ipv4: nil))
        defer { named.stop() }
        #expect(try get("https://localhost:\(named.port)/echo", through: transport).status == 200)
        #expect {
            _ = try get(named.base + "/echo", through: transport)
        } throws: { refused($0, saying: "not trusted") }
    }

    @Test("an expired certificate is refused")
    func expired() throws {
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server(days: -1))
        defer { server.stop() }
        #expect {
            _ = try get(server.base + "/echo", through: SocketHTTPTransport(trust: try TestTLS.shared.client()))
        } throws: { refused($0, saying: "expired") }
        #expect(server.requestCount == 0)
    }

    @Test("https to a server that does not speak TLS fails within the deadline and sends it no request")
    func notTLS() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let started = Date()
        #expect(throws: HTTPTransportError.self) {
            try get("https://127.0.0.1:\(server.port)/echo", through: SocketHTTPTransport(), timeout: 1)
        }
        #expect(Date().timeIntervalSince(started) < 1.9)
        #expect(server.requestCount == 0)
    }

    @Test("a server that never answers the handshake is given up at the deadline")
    func silentHandshake() throws {
        // Listening, never accepting: the kernel completes the TCP connection, nobody answers the ClientHello.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(ready)
        let started = Date()
        #expect {
            _ = try get(
                "https://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/echo",
                through: SocketHTTPTransport(trust: try TestTLS.shared.client()), timeout: 0.5)
        } throws: { ($0 as? HTTPTransportError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 1.4)
    }

    @Test("a body framed by the connection's end is refused over TLS when the end comes without close_notify")
    func truncatedEnd() throws {
        let tls = try LoopbackHTTPServer(tls: try TestTLS.shared.server())
        defer { tls.stop() }
        #expect {
            _ = try get(tls.base + "/cut", through: SocketHTTPTransport(trust: try TestTLS.shared.client()))
        } throws: { refused($0, saying: "close_notify") }
        // Plain HTTP cannot tell the difference, and reads it as the whole answer.
        let plain = try LoopbackHTTPServer()
        defer { plain.stop() }
        #expect(try get(plain.base + "/cut", through: SocketHTTPTransport()).body == Array("part of it".utf8))
    }

    @Test("protocol bytes that arrive while a connection idles (a TLS 1.3 session ticket) do not spoil its reuse")
    func ticketWhileIdle() throws {
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server())
        defer { server.stop() }
        let transport = SocketHTTPTransport(trust: try TestTLS.shared.client())
        #expect(try get(server.base + "/ticket-later", through: transport).body == Array("ok".utf8))
        usleep(100_000)  // the ticket is on its way, and then waiting in the socket
        #expect(try get(server.base + "/echo", through: transport).body == Array("secret".utf8))
        #expect(transport.connectionsOpened == 1 && server.connectionCount == 1)
    }

    @Test("writing to a TLS peer that has gone is a connection error, not a SIGPIPE that ends the process")
    func brokenPipe() throws {
        // OpenSSL writes with write(), so the transport must ignore SIGPIPE itself: start from the default action.
        signal(SIGPIPE, SIG_DFL)
        let transport = SocketHTTPTransport(trust: try TestTLS.shared.client())
        var action = sigaction()
        #expect(sigaction(SIGPIPE, nil, &action) == 0)
        #expect(action.__sigaction_handler.sa_handler != nil)  // SIG_IGN, no longer SIG_DFL
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server(), hangUpAfterHandshake: true)
        defer { server.stop() }
        let body = [UInt8](repeating: 0x61, count: 8 * 1024 * 1024)
        #expect {
            _ = try transport.send(HTTPRequest(method: "POST", url: server.base + "/echo", body: body, timeout: 5))
        } throws: { ($0 as? HTTPTransportError)?.kind == .connection }
    }

    @Test("plain and TLS connections to one host and port are pooled apart")
    func poolsApart() throws {
        let server = try LoopbackHTTPServer(tls: try TestTLS.shared.server())
        defer { server.stop() }
        let transport = SocketHTTPTransport(trust: try TestTLS.shared.client())
        #expect(try get(server.base + "/echo", through: transport).status == 200)
        // The same authority over plain http must open its own connection, never reuse the TLS one.
        #expect(throws: HTTPTransportError.self) {
            try get("http://127.0.0.1:\(server.port)/echo", through: transport, timeout: 2)
        }
        #expect(try get(server.base + "/echo", through: transport).status == 200)
        #expect(transport.connectionsOpened == 2)
        #expect(server.requestCount == 2)
    }
}

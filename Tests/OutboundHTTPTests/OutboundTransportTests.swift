import Foundation
import PaymentsCore
import Testing

@testable import OutboundHTTP

/// Which half of `OutboundTransport` a URL goes through: sockets only for plain `http://` to a loopback host.
@Suite("OutboundTransport routing")
struct OutboundTransportTests {
    @Test(
        "plain http to a loopback host goes through sockets",
        arguments: [
            "http://127.0.0.1:8104/api/v1/retail", "http://127.0.0.1", "http://127.255.255.254:80/x",
            "http://localhost:8100/firebase/certs", "http://LOCALHOST/", "http://[::1]:8101/v1/payment_intents",
            "HTTP://127.0.0.1:1/",
        ])
    func loopback(url: String) {
        #expect(OutboundTransport.usesSockets(url))
    }

    @Test(
        "https, other hosts and other schemes go through URLSession",
        arguments: [
            "https://127.0.0.1:8443/api", "https://api.stripe.com/v1/payment_intents", "http://example.com/x",
            "http://10.0.0.1:8080/", "http://128.0.0.1/", "http://127.0.0.1.example.com/", "http://[::2]/",
            "http://localhost.example/", "http://user@127.0.0.1/", "ftp://127.0.0.1/x", "http://[::ffff:10.0.0.1]/",
        ])
    func elsewhere(url: String) {
        #expect(!OutboundTransport.usesSockets(url))
    }

    @Test("a localhost URL reaches a loopback server through the socket half")
    func localhostThroughSockets() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let transport = OutboundTransport()
        let url = server.base.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/echo"
        let response = try transport.send(HTTPRequest(method: "GET", url: url, timeout: 5))
        #expect(response.status == 200)
        #expect(transport.plain.connectionsOpened == 1)
        transport.releaseThreadResources()
    }
}

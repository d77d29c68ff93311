import Foundation
import OutboundHTTP
import PaymentsCore
import Synchronization
import Testing

@Suite("URLSessionTransport against a loopback server", .serialized)
struct URLSessionTransportTests {
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

}

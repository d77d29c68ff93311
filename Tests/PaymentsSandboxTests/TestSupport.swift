import Glibc
import PaymentsCore

@testable import PaymentsSandbox

/// Builds a request as the connection loop would.
func makeRequest(
    _ method: String, _ target: String, headers: [(String, String)] = [], body: String = ""
) -> SandboxRequest {
    var path = target
    var query: [(String, String)] = []
    if let mark = target.firstIndex(of: "?") {
        path = String(target[..<mark])
        query = FormDecoding.parse(String(target[target.index(after: mark)...]))
    }
    return SandboxRequest(
        method: method, path: path, query: query, headers: headers.map { ($0.0.lowercased(), $0.1) },
        body: Array(body.utf8))
}

/// The JSON body of an answer.
func json(_ response: SandboxResponse) throws -> JSONValue {
    try JSONValue.parse(response.body)
}

/// A service that records every request and answers a fixed status.
final class RecordingService: SandboxService {
    let requests = Locked<[SandboxRequest]>([])
    let status: Int

    init(status: Int = 200) { self.status = status }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        requests.withLock { $0.append(request) }
        return .json(status, .object([("ok", .bool(true))]))
    }

    /// Waits up to `seconds` until at least `count` requests arrived.
    func wait(for count: Int, seconds: Double = 5) -> [SandboxRequest] {
        var waited = 0.0
        while waited < seconds {
            let current = requests.withLock { $0 }
            if current.count >= count { return current }
            SocketIO.sleep(milliseconds: 20)
            waited += 0.02
        }
        return requests.withLock { $0 }
    }
}

/// Sends raw bytes on a fresh connection and reads until the peer closes (or the timeout passes).
func rawExchange(port: Int, _ bytes: [UInt8]) throws -> String {
    let fd = try HTTPClient.connect(host: "127.0.0.1", port: port, timeoutSeconds: 3)
    defer { close(fd) }
    _ = SocketIO.sendAll(fd, bytes)
    var buffer: [UInt8] = []
    while SocketIO.receive(fd, into: &buffer) {}
    return String(decoding: buffer, as: UTF8.self)
}

import PaymentsCore
import Synchronization

/// An HTTPTransport that records every request and answers from a handler, so tests check what goes out.
final class FakeTransport: HTTPTransport, Sendable {
    typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    private let handler: Handler
    private let log = Mutex<[HTTPRequest]>([])

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        log.withLock { $0.append(request) }
        return try handler(request)
    }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(text.utf8))
    }
}

extension HTTPRequest {
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var form: [String: String] {
        Dictionary(FormEncoding.parse(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { first, _ in first })
    }
}

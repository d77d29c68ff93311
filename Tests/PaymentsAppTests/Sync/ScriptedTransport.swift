import PaymentsCore
import Synchronization

/// A fake `HTTPTransport` that answers from a script, in order, and records every request it was sent.
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case answer(Int, body: String = "", headers: [String: String] = [:])
        case fail(HTTPTransportError.Kind)
    }

    private let steps: Mutex<[Step]>
    private let sent = Mutex<[HTTPRequest]>([])
    private let sentTogether = Mutex<[Int]>([])

    init(_ steps: [Step]) { self.steps = Mutex(steps) }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        sent.withLock { $0.append(request) }
        let step = steps.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch step {
        case .none:
            throw HTTPTransportError(.connection, "script exhausted")
        case let .answer(status, body, headers)?:
            return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
        case let .fail(kind)?:
            throw HTTPTransportError(kind, "scripted")
        }
    }

    /// Answers a group in order from the script, like `send(_:)` one after the other, and records its size.
    func send(all requests: [HTTPRequest]) -> [Result<HTTPResponse, any Error>] {
        sentTogether.withLock { $0.append(requests.count) }
        return requests.map { request in Result { try send(request) } }
    }

    var requests: [HTTPRequest] { sent.withLock { $0 } }
    /// The size of each group sent with `send(all:)`.
    var groups: [Int] { sentTogether.withLock { $0 } }
    var unusedSteps: Int { steps.withLock { $0.count } }
}

extension HTTPRequest {
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    var bodyJSON: JSONValue? { try? JSONValue.parse(body) }
}

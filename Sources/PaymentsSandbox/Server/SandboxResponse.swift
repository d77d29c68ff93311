import PaymentsCore

/// What a service answers: a status, headers and a body, or an instruction to drop the connection unanswered.
struct SandboxResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Close the connection without writing anything (emulates a service that dies mid-request).
    var dropConnection = false

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with `Content-Type: application/json`.
    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> SandboxResponse {
        SandboxResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: Array(value.serialized().utf8))
    }

    /// A plain-text answer, used for protocol-level errors.
    static func text(_ status: Int, _ text: String) -> SandboxResponse {
        SandboxResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// Closes the connection without an answer.
    static var drop: SandboxResponse {
        var response = SandboxResponse(status: 0)
        response.dropConnection = true
        return response
    }

    /// The sandbox's own error shape for control endpoints: `{"error": "..."}`.
    static func controlError(_ status: Int, _ message: String) -> SandboxResponse {
        .json(status, .object([("error", .string(message))]))
    }

    /// The standard reason phrase for the status codes the sandbox uses.
    static func reason(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }
}

import PaymentsCore

/// A PayPal error answer: `{name, message, debug_id, details[{issue, description}]}` or OAuth's `{error, error_description}`.
struct PayPalError: Error, Sendable {
    let status: Int
    let body: JSONValue

    init(status: Int, name: String, message: String, issue: String? = nil, field: String? = nil) {
        self.status = status
        var members: [(String, JSONValue)] = [
            ("name", .string(name)), ("message", .string(message)),
            ("debug_id", .string(PayPalStore.makeID(13).lowercased())),
        ]
        if let issue {
            var detail: [(String, JSONValue)] = []
            if let field { detail.append(("field", .string(field))) }
            detail.append(("issue", .string(issue)))
            detail.append(("description", .string(message)))
            members.append(("details", .array([.object(detail)])))
        }
        body = .object(members)
    }

    init(oauthStatus: Int, error: String, description: String) {
        status = oauthStatus
        body = .object([("error", .string(error)), ("error_description", .string(description))])
    }

    static func unprocessable(_ issue: String, _ message: String) -> PayPalError {
        PayPalError(status: 422, name: "UNPROCESSABLE_ENTITY", message: message, issue: issue)
    }

    static func notFound(_ what: String) -> PayPalError {
        PayPalError(
            status: 404, name: "RESOURCE_NOT_FOUND", message: "The specified resource does not exist.",
            issue: "INVALID_RESOURCE_ID",
            field: what)
    }

    static func invalid(_ field: String, _ issue: String, _ message: String) -> PayPalError {
        PayPalError(status: 400, name: "INVALID_REQUEST", message: message, issue: issue, field: field)
    }

    var response: SandboxResponse {
        .json(status, body, headers: [("Paypal-Debug-Id", PayPalStore.makeID(13).lowercased())])
    }
}

import PaymentsCore

/// CORS exactly as DESIGN §4: only origins listed verbatim get headers; preflights need no authentication.
struct CORSPolicy: Sendable {
    let allowedOrigins: Set<String>

    /// The allowed origin of a request, if any.
    func origin(of request: APIRequest) -> String? {
        guard let origin = request.header("origin"), allowedOrigins.contains(origin) else { return nil }
        return origin
    }

    func preflight(origin: String?) -> APIResponse {
        var response = APIResponse(status: 204)
        if let origin {
            response.headers += [
                ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match"),
                ("Access-Control-Max-Age", "600"), ("Vary", "Origin"),
            ]
        }
        return response
    }

    func decorate(_ response: inout APIResponse, origin: String?) {
        guard let origin else { return }
        response.headers += [
            ("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", "x-ratelimit-reset, x-etag"),
            ("Vary", "Origin"),
        ]
    }
}

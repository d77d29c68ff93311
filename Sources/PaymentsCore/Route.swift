/// One API action of a gateway (or of the core): its name, method, who may call it and the handler.
public struct Route: Sendable {
    /// Who may call a route; decides authentication, rate limiting and the email check (DESIGN §4).
    public enum Access: Sendable {
        /// Firebase ID token required, per-uid rate limit, verified email for password accounts.
        case client
        /// No authentication and no rate limit (`health`, `metrics`, `app-getPublicKeys`).
        case open
        /// Gateway deliveries: authenticated by their own signature inside the handler, never rate-limited.
        case webhook
    }

    public typealias Handler = @Sendable (RequestContext) throws -> APIResponse

    /// The part after `<prefix>-`; the router alone builds the full route name.
    public let action: String
    public let method: HTTPMethod
    public let access: Access
    public let handler: Handler

    public init(_ method: HTTPMethod, _ action: String, access: Access, handler: @escaping Handler) {
        self.method = method
        self.action = action
        self.access = access
        self.handler = handler
    }
}

import Logging

/// Everything a handler gets: the request, the caller, this worker's ledger and the shared services.
public struct RequestContext {
    public let request: APIRequest
    public var logger: Logger
    /// The worker's ledger (one connection per worker thread, used only by that thread).
    public let ledger: any Ledger
    public let services: GatewayServices
    /// Set by the pipeline before a `.client` handler runs.
    public var user: AuthenticatedUser?
    /// What the handler adds to the request's log line.
    public let annotations = RequestAnnotations()
    /// The ledger rows this request wrote, pushed to Retail by the worker after the answer is finished.
    public let push: PushHandoff

    /// - Parameter push: the worker's hand-off for this request; a fresh one (credits unclaimed) by default.
    public init(
        request: APIRequest, logger: Logger, ledger: any Ledger, services: GatewayServices,
        user: AuthenticatedUser? = nil, push: PushHandoff = PushHandoff()
    ) {
        self.request = request
        self.logger = logger
        self.ledger = ledger
        self.services = services
        self.user = user
        self.push = push
    }

    /// The authenticated uid; only `.client` routes have one.
    public func requireUser() throws(APIError) -> AuthenticatedUser {
        guard let user else { throw APIError(.unauthorized, "authentication required") }
        return user
    }

    /// The body as a JSON object, or 400.
    public func jsonBody() throws(APIError) -> JSONValue {
        guard let value = try? JSONValue.parse(request.body), case .object = value else {
            throw APIError(.badRequest, "body must be a JSON object")
        }
        return value
    }
}

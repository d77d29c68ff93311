import Foundation
import Logging
import PaymentsCore

/// Everything between the FastCGI adapter and a handler: routing, CORS, authentication, the email check,
/// rate limiting, error mapping, metrics and the one log line per request.
struct RequestPipeline: Sendable {
    let router: Router
    let services: GatewayServices
    let cors: CORSPolicy
    let rateLimiter: RateLimiter
    let logger: Logger
    /// Every route's request series by route name, `unknown` and `preflight` included; made here once, so a request
    /// looks its meter up in an immutable table.
    let meters: [String: RouteMeter]

    init(router: Router, services: GatewayServices, cors: CORSPolicy, rateLimiter: RateLimiter, logger: Logger) {
        self.router = router
        self.services = services
        self.cors = cors
        self.rateLimiter = rateLimiter
        self.logger = logger
        var meters: [String: RouteMeter] = [:]
        for name in router.names + [Self.unknownRoute, Self.preflightRoute] {
            meters[name] = services.metrics.route(name)
        }
        self.meters = meters
    }

    /// The route label of a request no route matched, and of a CORS preflight.
    static let unknownRoute = "unknown"
    static let preflightRoute = "preflight"

    /// Answers one request; never throws. Rows the handler writes are collected in `push` (see `PushHandoff`).
    func handle(_ request: APIRequest, bodyTooLarge: Bool, ledger: any Ledger, push: PushHandoff) -> APIResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        var logger = self.logger
        logger[metadataKey: "request.id"] = .string(request.requestID)
        let origin = cors.origin(of: request)
        var routeLabel = Self.unknownRoute
        var annotations: RequestAnnotations?
        var response: APIResponse
        do {
            if bodyTooLarge {
                throw APIError(.payloadTooLarge, "body exceeds \(services.core.maxBodyBytes) bytes")
            }
            if request.method == "OPTIONS" {
                routeLabel = Self.preflightRoute
                response = cors.preflight(origin: origin)
            } else {
                guard let entry = router.resolve(method: request.method, name: request.route) else {
                    throw APIError(.notFound, "no such route")
                }
                routeLabel = entry.name
                if !entry.prefix.isEmpty { logger[metadataKey: "gateway.id"] = .string(entry.prefix) }
                var context = RequestContext(
                    request: request, logger: logger, ledger: ledger, services: services, push: push)
                annotations = context.annotations
                if entry.route.access == .client { context.user = try authorize(request) }
                response = try entry.route.handler(context)
            }
        } catch {
            let (apiError, unexpected) = ErrorMapping.apiError(for: error)
            if unexpected {
                logger.error(
                    "request failed", metadata: ["error": "\(String(reflecting: error))", "route": "\(routeLabel)"])
            }
            response = .error(apiError)
        }
        if routeLabel != Self.preflightRoute { cors.decorate(&response, origin: origin) }
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
        (meters[routeLabel] ?? services.metrics.route(routeLabel)).record(
            status: response.status, nanoseconds: nanoseconds)
        let micros = nanoseconds / 1000
        if let eventID = annotations?.eventID { logger[metadataKey: "event.id"] = .string(eventID) }
        logger.info(
            "request",
            metadata: [
                "route": "\(routeLabel)", "status": "\(response.status)", "duration.ms": "\(Double(micros) / 1000)",
            ])
        return response
    }

    /// Firebase token, verified email for password accounts, then the per-uid rate limit.
    private func authorize(_ request: APIRequest) throws(APIError) -> AuthenticatedUser {
        let user = try services.authenticator.authenticate(authorizationHeader: request.header("authorization"))
        if user.signInProvider == "password" && !user.emailVerified {
            throw APIError(.emailNotVerified, "verify your email address first")
        }
        if let reset = rateLimiter.check(uid: user.uid, now: services.now) {
            throw APIError(.tooManyRequests, "too many requests", headers: [("x-ratelimit-reset", String(reset))])
        }
        return user
    }
}

import Foundation
import Logging
import PaymentsCore
import Testing

@testable import PaymentsApp

/// A ledger that must never be touched by the pipeline itself.
private final class UnusedLedger: Ledger, @unchecked Sendable {
    struct Touched: Error {}
    func createSession(gateway: String, uid: String, amount: Money, currency: String) throws -> PaymentSession {
        throw Touched()
    }
    func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws { throw Touched() }
    func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws { throw Touched() }
    func session(publicID: String) throws -> PaymentSession? { throw Touched() }
    func session(gateway: String, externalID: String) throws -> PaymentSession? { throw Touched() }
    func apply(_ effect: LedgerEffect, claimingCreditsForPush: Bool) throws -> LedgerOutcome { throw Touched() }
    func eventExists(gateway: String, eventID: String) throws -> Bool { throw Touched() }
    func entry(paymentID: String) throws -> StoredLedgerEntry? { throw Touched() }
    func refundedTotal(of paymentID: String) throws -> Money { throw Touched() }
    func transactions(uid: String, offset: Int, limit: Int) throws -> (rows: [StoredLedgerEntry], total: Int) {
        throw Touched()
    }
    func syncBacklog() throws -> (unsynced: Int, oldestSeconds: Int) { throw Touched() }
    func ping() throws { throw Touched() }
}

/// Accepts `Bearer good`, `Bearer unverified` (password account without a verified email); anything else is 401.
private struct TokenTable: Authenticator {
    func authenticate(authorizationHeader: String?) throws(APIError) -> AuthenticatedUser {
        switch authorizationHeader {
        case "Bearer good": return AuthenticatedUser(uid: "u1", emailVerified: true, signInProvider: "password")
        case "Bearer unverified": return AuthenticatedUser(uid: "u2", emailVerified: false, signInProvider: "password")
        default: throw APIError(.unauthorized, "invalid token")
        }
    }
}

private struct NoRecaptcha: RecaptchaChecking {
    func check(token: String?, platform: String, expectedActions: [String]) throws(APIError) {}
}

private struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) throws -> HTTPResponse { throw HTTPTransportError(.connection, "offline") }
}

private func makePipeline(rateLimit: Int = 100) throws -> RequestPipeline {
    let services = GatewayServices(
        core: CoreConfiguration(
            corsAllowedOrigins: ["https://app.example"], maxBodyBytes: 2048, rateLimitPerMinute: rateLimit),
        transport: NoNetwork(), authenticator: TokenTable(), recaptcha: NoRecaptcha())
    var router = Router()
    try router.add(
        prefix: "demo",
        routes: [
            Route(.post, "pay", access: .client) { context in
                .json(.object([("uid", .string(context.user?.uid ?? ""))]))
            },
            Route(.post, "handleWebhookEvents", access: .webhook) { _ in .received },
            Route(.get, "db", access: .open) { _ in throw LedgerError(.unavailable, "gone") },
            Route(.get, "boom", access: .open) { _ in throw CancellationError() },
        ])
    return RequestPipeline(
        router: router, services: services, cors: CORSPolicy(allowedOrigins: ["https://app.example"]),
        rateLimiter: RateLimiter(perMinute: rateLimit), logger: Logger(label: "test"))
}

private func errorName(_ response: APIResponse) -> String? {
    (try? JSONValue.parse(response.body))?["errorName"]?.stringValue
}

@Suite struct RequestPipelineTests {
    func send(
        _ pipeline: RequestPipeline, _ method: String, _ route: String, headers: [String: String] = [:],
        tooLarge: Bool = false
    ) -> APIResponse {
        pipeline.handle(
            APIRequest(method: method, route: route, headers: headers, body: Array("{}".utf8)),
            bodyTooLarge: tooLarge, ledger: UnusedLedger(), push: PushHandoff())
    }

    @Test func unknownRoutesAndMethodsAre404() throws {
        let pipeline = try makePipeline()
        for (method, route) in [("GET", "demo-nothing"), ("GET", "demo-pay"), ("POST", "demo/pay"), ("POST", "")] {
            let response = send(pipeline, method, route)
            #expect(response.status == 404 && errorName(response) == "NotFoundException")
        }
    }

    @Test func clientRoutesNeedAValidToken() throws {
        let pipeline = try makePipeline()
        let missing = send(pipeline, "POST", "demo-pay")
        #expect(missing.status == 401 && errorName(missing) == "UnauthorizedException")
        let ok = send(pipeline, "POST", "demo-pay", headers: ["authorization": "Bearer good"])
        #expect(ok.status == 200)
        #expect(try JSONValue.parse(ok.body)["uid"]?.stringValue == "u1")
        let unverified = send(pipeline, "POST", "demo-pay", headers: ["authorization": "Bearer unverified"])
        #expect(unverified.status == 403 && errorName(unverified) == "EmailNotVerifiedException")
    }

    @Test func everyAnswerIsCountedAndTimedUnderItsRoute() throws {
        let pipeline = try makePipeline()
        _ = send(pipeline, "POST", "demo-pay", headers: ["authorization": "Bearer good"])
        _ = send(pipeline, "POST", "demo-pay")
        _ = send(pipeline, "GET", "demo-nothing")
        _ = send(pipeline, "OPTIONS", "demo-pay", headers: ["origin": "https://app.example"])
        let lines = Set(pipeline.services.metrics.render().split(separator: "\n").map(String.init))
        #expect(lines.contains("payments_requests_total{route=\"demo-pay\",status=\"200\"} 1"))
        #expect(lines.contains("payments_requests_total{route=\"demo-pay\",status=\"401\"} 1"))
        #expect(lines.contains("payments_requests_total{route=\"unknown\",status=\"404\"} 1"))
        #expect(lines.contains("payments_requests_total{route=\"preflight\",status=\"204\"} 1"))
        #expect(lines.contains("payments_request_duration_seconds_count{route=\"demo-pay\"} 2"))
        #expect(lines.contains("payments_request_duration_seconds_bucket{route=\"unknown\",le=\"+Inf\"} 1"))
        #expect(!lines.contains { $0.contains("route=\"demo-db\"") }, "a route never called has no series")
    }

    @Test func webhooksNeedNoTokenAndAreNotRateLimited() throws {
        let pipeline = try makePipeline(rateLimit: 1)
        for _ in 0..<5 { #expect(send(pipeline, "POST", "demo-handleWebhookEvents").status == 200) }
    }

    @Test func theUidRateLimitAnswers429WithTheWindowEnd() throws {
        let pipeline = try makePipeline(rateLimit: 2)
        let auth = ["authorization": "Bearer good"]
        #expect(send(pipeline, "POST", "demo-pay", headers: auth).status == 200)
        #expect(send(pipeline, "POST", "demo-pay", headers: auth).status == 200)
        let limited = send(pipeline, "POST", "demo-pay", headers: auth)
        #expect(limited.status == 429 && errorName(limited) == "TooManyRequestsException")
        let reset = try #require(limited.header("x-ratelimit-reset").flatMap { Int64($0) })
        #expect(reset % 60 == 0 && reset > Int64(Date().timeIntervalSince1970))
    }

    @Test func oversizedBodiesAre413() throws {
        let response = send(try makePipeline(), "POST", "demo-pay", tooLarge: true)
        #expect(response.status == 413 && errorName(response) == "PayloadTooLargeException")
    }

    @Test func errorsMapToTheContract() throws {
        let pipeline = try makePipeline()
        let db = send(pipeline, "GET", "demo-db")
        #expect(db.status == 503 && errorName(db) == "ServiceUnavailableException")
        let boom = send(pipeline, "GET", "demo-boom")
        #expect(boom.status == 500 && errorName(boom) == "InternalServerErrorException")
        #expect(try JSONValue.parse(boom.body)["errorMessage"]?.stringValue == "internal error")
    }

    @Test func preflightFromAnAllowedOriginNeedsNoAuth() throws {
        let response = send(try makePipeline(), "OPTIONS", "demo-pay", headers: ["origin": "https://app.example"])
        #expect(response.status == 204)
        #expect(response.header("Access-Control-Allow-Origin") == "https://app.example")
        #expect(response.header("Access-Control-Allow-Methods") == "GET, POST, OPTIONS")
        #expect(response.header("Access-Control-Allow-Headers") == "Authorization, Content-Type, If-None-Match")
        #expect(response.header("Access-Control-Max-Age") == "600")
        #expect(response.header("Vary") == "Origin")
        #expect(response.headers.filter { $0.0 == "Access-Control-Allow-Origin" }.count == 1)
        #expect(response.header("Access-Control-Expose-Headers") == nil)
    }

    @Test func errorsToAnAllowedOriginCarryCORSAndOthersGetNone() throws {
        let pipeline = try makePipeline()
        let allowed = send(pipeline, "POST", "demo-pay", headers: ["origin": "https://app.example"])
        #expect(allowed.status == 401 && allowed.header("Access-Control-Allow-Origin") == "https://app.example")
        #expect(allowed.header("Access-Control-Expose-Headers") == "x-ratelimit-reset, x-etag")
        let other = send(pipeline, "POST", "demo-pay", headers: ["origin": "https://evil.example"])
        #expect(other.header("Access-Control-Allow-Origin") == nil)
        let otherPreflight = send(pipeline, "OPTIONS", "demo-pay", headers: ["origin": "https://evil.example"])
        #expect(otherPreflight.header("Access-Control-Allow-Origin") == nil)
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// CORS exactly as DESIGN §4: preflights without authentication, headers on every answer (errors included)
    /// to a listed origin, none for any other origin.
    @Suite("CORS", .serialized)
    struct CORSTests {
        static func allowedOrigin(_ stack: Stack) throws -> String {
            try #require(
                stack.env.list("CORS_ALLOWED_ORIGINS").first, "CORS_ALLOWED_ORIGINS is empty in the test env file")
        }

        static func preflight(_ stack: Stack, route: String, origin: String) throws -> HTTPResult {
            try HTTP.send(
                "OPTIONS", stack.api.url(route),
                headers: [
                    ("Origin", origin), ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "authorization, content-type"),
                ])
        }

        @Test("preflight from an allowed origin: 204 with the exact headers, no authentication needed")
        func preflightAllowed() throws {
            let stack = try Stack.connect()
            let origin = try Self.allowedOrigin(stack)
            for route in ["stripe-getPaymentIntent", "app-getBalance", "no-such-route"] {
                let answer = try Self.preflight(stack, route: route, origin: origin)
                #expect(answer.status == 204, "\(route): \(answer)")
                #expect(answer.header("Access-Control-Allow-Origin") == origin, "\(route): \(answer.headers)")
                #expect(answer.header("Access-Control-Allow-Methods") == "GET, POST, OPTIONS")
                #expect(answer.header("Access-Control-Allow-Headers") == "Authorization, Content-Type, If-None-Match")
                #expect(answer.header("Access-Control-Max-Age") == "600")
                #expect(answer.header("Vary")?.contains("Origin") == true, "\(route): \(answer.headers)")
            }
        }

        @Test("errors and successes to an allowed origin carry Allow-Origin, Expose-Headers and Vary")
        func responsesAllowed() throws {
            let stack = try Stack.connect()
            let origin = try Self.allowedOrigin(stack)
            let unauthorized = try stack.api.post(
                "stripe-getPaymentIntent", .object([("amount", .int(1000))]), token: nil,
                headers: [("Origin", origin)])
            let notFound = try stack.api.get("no-such-route", token: nil, headers: [("Origin", origin)])
            let ok = try stack.api.get("app-getPublicKeys", token: nil, headers: [("Origin", origin)])
            for (name, answer, status) in [("401", unauthorized, 401), ("404", notFound, 404), ("200", ok, 200)] {
                #expect(answer.status == status, "\(name): \(answer)")
                #expect(answer.header("Access-Control-Allow-Origin") == origin, "\(name): \(answer.headers)")
                #expect(
                    answer.header("Access-Control-Expose-Headers") == "x-ratelimit-reset, x-etag",
                    "\(name): \(answer.headers)")
                #expect(answer.header("Vary")?.contains("Origin") == true, "\(name): \(answer.headers)")
            }
        }

        @Test("a disallowed origin gets no CORS headers at all")
        func disallowedOrigin() throws {
            let stack = try Stack.connect()
            let origin = "https://evil.itest.example"
            try #require(!stack.env.list("CORS_ALLOWED_ORIGINS").contains(origin))
            let preflight = try Self.preflight(stack, route: "stripe-getPaymentIntent", origin: origin)
            let error = try stack.api.post(
                "stripe-getPaymentIntent", .object([]), token: nil, headers: [("Origin", origin)])
            let ok = try stack.api.get("app-getPublicKeys", token: nil, headers: [("Origin", origin)])
            #expect(error.status == 401)
            for (name, answer) in [("preflight", preflight), ("error", error), ("ok", ok)] {
                let cors = answer.headers.keys.filter { $0.hasPrefix("access-control-") }
                #expect(cors.isEmpty, "\(name) carries \(cors)")
            }
            let almost = try Self.allowedOrigin(stack) + ".evil.example"
            let suffix = try stack.api.get("app-getPublicKeys", token: nil, headers: [("Origin", almost)])
            #expect(suffix.header("Access-Control-Allow-Origin") == nil, "origins must match exactly")
        }
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// What the nginx site adds to every API answer (the local site carries the same headers as nginx/payments.conf):
    /// the request id the responder logs, returned as `X-Request-ID`; `nosniff`; `Cache-Control: no-store`; and the
    /// access-log line with the request id, the request time and the responder's time.
    @Suite("nginx site headers and access log")
    struct NginxSiteTests {
        private static func expectSiteHeaders(_ result: HTTPResult, _ what: String) -> String? {
            let id = result.header("X-Request-ID")
            #expect(
                id?.count == 32 && id?.allSatisfy { $0.isHexDigit } == true, "\(what): X-Request-ID \(id ?? "nil")")
            #expect(result.header("X-Content-Type-Options") == "nosniff", "\(what): \(result)")
            #expect(result.header("Cache-Control") == "no-store", "\(what): \(result)")
            return id
        }

        @Test(
            "answers of the responder and of nginx itself carry X-Request-ID, nosniff and no-store; logged with times")
        func headersAndAccessLog() throws {
            let stack = try Stack.connect()
            let health = try stack.api.get("health", token: nil)
            #expect(health.status == 200)
            let healthID = Self.expectSiteHeaders(health, "health")

            let refused = try stack.api.get("app-getBalance", token: nil)
            #expect(refused.status == 401)
            let refusedID = Self.expectSiteHeaders(refused, "401 from the responder")
            #expect(refusedID != healthID)

            let large = try HTTP.send(
                "POST", stack.api.url("app-getTransactions"), headers: [("Content-Type", "application/json")],
                body: Array(repeating: UInt8(ascii: " "), count: 1_100_000))
            #expect(large.status == 413, "\(large)")
            _ = Self.expectSiteHeaders(large, "413 from nginx")

            let log =
                URL(fileURLWithPath: stack.env.envFilePath).deletingLastPathComponent().path
                + "/nginx/logs/access.log"
            let id = try #require(healthID)
            let found = try eventually(timeout: 5) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").contains { line in
                    line.contains("request_id=\(id)") && line.contains("request_time=")
                        && line.contains("upstream_time=") && line.contains("GET /api/health")
                }
            }
            #expect(found, "no access-log line for request \(id) in \(log)")
        }
    }
}

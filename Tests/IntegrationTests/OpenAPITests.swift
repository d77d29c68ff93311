import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// `GET /api/openapi.json` through nginx on the test stack, which enables every built-in gateway and three
    /// operator-configured ones: the document describes exactly the routes the responder serves.
    @Suite("OpenAPI document")
    struct OpenAPITests {
        /// Every route of DESIGN §2 that exists today, and the test stack's operator-configured gateways' pairs.
        static let expectedRoutes: Set<String> = [
            "app-getBalance", "app-getTransactions", "app-getPublicKeys", "app-createEventsTicket",
            "app-authorizeEvents", "stripe-getPaymentIntent",
            "stripe-getPaymentIntentStatus", "stripe-handleWebhookEvents", "paypal-createOrder", "paypal-captureOrder",
            "paypal-handleWebhookEvents", "cryptomus-createPayment", "cryptomus-handleWebhookEvents",
            "payeer-createOrder", "payeer-handleWebhookEvents", "anypay-createPayment", "anypay-handleWebhookEvents",
            "appstore-createTransaction", "appstore-handleWebhookEvents", "googleplay-createTransaction",
            "googleplay-handleWebhookEvents", "acme-createPayment", "acme-handleWebhookEvents", "hexpay-createPayment",
            "hexpay-handleWebhookEvents", "stdpay-createPayment", "stdpay-handleWebhookEvents", "health", "metrics",
            "openapi.json",
        ]

        static func document(_ stack: Stack) throws -> JSONValue {
            let answer = try stack.api.get("openapi.json", token: nil)
            try #require(answer.status == 200, "openapi.json: \(answer)")
            #expect(answer.header("Content-Type") == "application/json")
            return try #require(answer.json, "openapi.json is not JSON")
        }

        static func operations(_ document: JSONValue) throws -> [(path: String, method: String, operation: JSONValue)] {
            guard case let .object(paths) = document["paths"] else {
                Issue.record("no paths in the document")
                return []
            }
            return paths.flatMap { path, item -> [(String, String, JSONValue)] in
                guard case let .object(methods) = item else { return [] }
                return methods.map { (path, $0.0, $0.1) }
            }
        }

        @Test("every served route is described, and nothing else")
        func describesTheRouteTable() throws {
            let stack = try Stack.connect()
            let document = try Self.document(stack)
            #expect(document["openapi"]?.stringValue == "3.1.0")
            let operations = try Self.operations(document)
            let undocumented = operations.filter { $0.operation["x-tn-undocumented"] == .bool(true) }
            #expect(
                undocumented.isEmpty, "routes without a description: \(undocumented.map { "\($0.method) \($0.path)" })")
            #expect(Set(operations.map { String($0.path.dropFirst()) }) == Self.expectedRoutes)
            #expect(operations.allSatisfy { !$0.path.contains("{") }, "a template path was served")
            let ids = operations.compactMap { $0.operation["operationId"]?.stringValue }
            #expect(ids.count == operations.count && Set(ids).count == ids.count, "operationIds: \(ids)")
        }

        @Test("the server and the amount range are this deployment's")
        func deploymentValues() throws {
            let stack = try Stack.connect()
            let document = try Self.document(stack)
            let base = try #require(stack.env.values["PUBLIC_BASE_URL"])
            #expect(document["servers"] == .array([.object([("url", .string(base))])]))
            let amount = try #require(try JSONPointer("/components/schemas/Amount").resolve(in: document))
            let minimum = Int64(stack.env.values["AMOUNT_MIN_CENTS"] ?? "500")
            let maximum = Int64(stack.env.values["AMOUNT_MAX_CENTS"] ?? "100000")
            #expect(amount["minimum"]?.int64Value == minimum && amount["maximum"]?.int64Value == maximum)
        }

        /// Routes only nginx's internal locations reach (nchan's authorize and unsubscribe hooks).
        static let internalRoutes: Set<String> = ["app-authorizeEvents"]

        /// Each described operation reaches a handler through nginx: never the router's "no such route" — except the
        /// internal hook, which the public site must not pass on at all.
        @Test("every described operation is routed")
        func everyOperationIsRouted() throws {
            let stack = try Stack.connect()
            for (path, method, _) in try Self.operations(try Self.document(stack)) {
                let route = String(path.dropFirst())
                if Self.internalRoutes.contains(route) {
                    let answer = try stack.api.get(route, token: nil, headers: [("X-Events-Hook", "authorize")])
                    #expect(answer.status == 404 && answer.errorName == "NotFoundException", "\(path): \(answer)")
                    continue
                }
                let answer =
                    method == "get"
                    ? try stack.api.get(route, token: nil)
                    : try stack.api.postRaw(route, Array("{}".utf8), token: nil)
                #expect(
                    !(answer.status == 404 && answer.errorMessage == "no such route"),
                    "\(method.uppercased()) \(path): \(answer)")
            }
        }
    }
}

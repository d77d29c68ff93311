import OpenAPIDocument
import PaymentsCore
import Testing

@testable import PaymentsApp

/// The served OpenAPI document follows the route table: enabled routes only, one concrete pair per operator-configured
/// gateway, the configured amount range, and a loud marker on any route the document does not describe.
@Suite struct APIDescriptionTests {
    static func route(_ method: HTTPMethod, _ action: String, _ access: Route.Access = .client) -> Route {
        Route(method, action, access: access) { _ in .success }
    }

    static func router(extra: [(String, Route)] = []) throws -> Router {
        var router = Router()
        try router.add(
            prefix: "stripe", routes: [route(.post, "getPaymentIntent"), route(.post, "handleWebhookEvents")])
        try router.add(prefix: "acme", routes: [route(.post, "createPayment"), route(.post, "handleWebhookEvents")])
        try router.add(prefix: "app", routes: [route(.get, "getBalance")])
        try router.add(prefix: "", routes: [route(.get, "health", .open)])
        for (prefix, route) in extra { try router.add(prefix: prefix, routes: [route]) }
        return router
    }

    static let core = CoreConfiguration(publicBaseURL: "https://pay.example/api", amountRange: 700...5_000)

    static func served(_ description: APIDescription) throws -> JSONValue {
        try JSONValue.parse(description.body)
    }

    /// The member at an RFC 6901 pointer, nil when absent.
    static func at(_ pointer: String, in document: JSONValue) throws -> JSONValue? {
        try JSONPointer(pointer).resolve(in: document)
    }

    @Test func pathsAreExactlyTheRegisteredRoutes() throws {
        let description = try APIDescription(router: Self.router(), customPrefixes: ["acme"], core: Self.core)
        let document = try Self.served(description)
        guard case let .object(members) = document["paths"] else {
            Issue.record("no paths")
            return
        }
        let paths = members.map(\.0)
        #expect(
            Set(paths)
                == [
                    "/stripe-getPaymentIntent", "/stripe-handleWebhookEvents", "/acme-createPayment",
                    "/acme-handleWebhookEvents", "/app-getBalance", "/health", "/openapi.json",
                ])
        // Disabled gateways (PayPal here) and the templates themselves are not served.
        #expect(!paths.contains("/paypal-createOrder") && !paths.contains { $0.contains("{gateway}") })
        #expect(description.undocumented.isEmpty)
        #expect(document["servers"] == .array([.object([("url", .string("https://pay.example/api"))])]))
    }

    @Test func customGatewayPathsAreConcrete() throws {
        let description = try APIDescription(router: Self.router(), customPrefixes: ["acme"], core: Self.core)
        let operation = try #require(try Self.at("/paths/~1acme-createPayment/post", in: try Self.served(description)))
        #expect(operation["operationId"]?.stringValue == "acme-createPayment")
        let parameters = operation["parameters"]?.arrayValue ?? []
        #expect(!parameters.contains { $0["name"]?.stringValue == "gateway" }, "\(parameters)")
        #expect(
            try Self.at("/requestBody/content/application~1json/schema/required", in: operation)
                == .array([.string("amount")]))
    }

    @Test func amountCarriesTheConfiguredRange() throws {
        let description = try APIDescription(router: Self.router(), customPrefixes: [], core: Self.core)
        let amount = try #require(try Self.at("/components/schemas/Amount", in: try Self.served(description)))
        #expect(amount["minimum"]?.int64Value == 700 && amount["maximum"]?.int64Value == 5_000)
        #expect(amount["type"]?.stringValue == "integer")
    }

    /// A route added to a gateway without a description is served marked and listed, so the integration test that
    /// reads the stack's document (every gateway enabled) fails.
    @Test func undocumentedRoutesAreMarked() throws {
        let router = try Self.router(extra: [
            ("stripe", Self.route(.post, "refundEverything")), ("newpay", Self.route(.post, "createPayment")),
        ])
        let description = try APIDescription(router: router, customPrefixes: ["acme"], core: Self.core)
        #expect(description.undocumented.sorted() == ["POST newpay-createPayment", "POST stripe-refundEverything"])
        let document = try Self.served(description)
        #expect(try Self.at("/paths/~1stripe-refundEverything/post/x-tn-undocumented", in: document) == .bool(true))
        // A built-in gateway's action never borrows the operator-configured template.
        #expect(try Self.at("/paths/~1newpay-createPayment/post/x-tn-undocumented", in: document) == .bool(true))
    }

    @Test func theRouteServesTheDocumentAsJSON() throws {
        let description = try APIDescription(router: Self.router(), customPrefixes: [], core: Self.core)
        #expect(description.route.method == .get && description.route.action == "openapi.json")
        #expect(description.route.access == .open)
    }

    /// The embedded document: every local `$ref` resolves, and the error names it lists are exactly the contract's.
    @Test func embeddedDocumentIsCoherent() throws {
        let document = try JSONValue.parse(OpenAPIDocument.json)
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case let .object(members):
                for (key, member) in members {
                    if key == "$ref", let target = member.stringValue { references.append(target) }
                    collect(member)
                }
            case let .array(items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(references.count > 100)
        for reference in Set(references) {
            let target = reference.hasPrefix("#/") ? try Self.at(String(reference.dropFirst()), in: document) : nil
            #expect(target != nil, "\(reference)")
        }
        let codes: [APIError.Code] = [
            .badRequest, .unauthorized, .paymentDeclined, .emailNotVerified, .forbidden, .notFound, .conflict,
            .payloadTooLarge, .tooManyRequests, .gatewayUnavailable, .circuitOpen, .serviceUnavailable, .internalError,
        ]
        let names = try #require(
            try Self.at("/components/schemas/Error/properties/errorName/enum", in: document)?.arrayValue)
        #expect(Set(names.compactMap(\.stringValue)) == Set(codes.map(\.name)))
        // Each per-status error schema allows only the names the contract gives that status.
        for code in codes {
            let schema = try #require(
                try Self.at("/components/schemas/Error\(code.status)/allOf/1/properties/errorName", in: document),
                "\(code.status)")
            let allowed = schema["const"].map { [$0] } ?? schema["enum"]?.arrayValue ?? []
            #expect(allowed.contains(.string(code.name)), "\(code.status) \(code.name)")
        }
        // The two 403s are told apart: client routes give only the email one, webhooks only the allow-list one.
        for (response, name) in [
            ("EmailNotVerified", "EmailNotVerifiedException"), ("Forbidden", "ForbiddenException"),
        ] {
            let reference = try #require(
                try Self.at("/components/responses/\(response)/content/application~1json/schema/$ref", in: document)?
                    .stringValue)
            let schema = try Self.at(String(reference.dropFirst()) + "/allOf/1/properties/errorName", in: document)
            #expect(schema == .object([("const", .string(name))]), "\(response): \(String(describing: schema))")
        }
    }
}

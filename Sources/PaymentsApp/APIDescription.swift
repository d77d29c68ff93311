import Foundation
import OpenAPIDocument
import PaymentsCore

/// The OpenAPI document this deployment serves at `GET /api/openapi.json`: `openapi/tn-payments.yaml` narrowed to
/// the routes the router holds, with one concrete pair of paths per operator-configured gateway, the configured amount
/// range and `PUBLIC_BASE_URL` as the server.
///
/// The paths come from the route table, never from the document alone, so the description cannot list a disabled
/// gateway; a registered route the document does not describe is served marked `x-tn-undocumented` (and listed in
/// `undocumented`), which the integration tests refuse.
struct APIDescription: Sendable {
    static let routeName = "openapi.json"
    /// The template paths of `CUSTOM_GATEWAYS` entries: `/{gateway}-<action>`.
    static let gatewayParameter = "{gateway}"

    /// The serialized document.
    let body: [UInt8]
    /// `METHOD route` of every registered route the document does not describe.
    let undocumented: [String]

    /// - Parameter customPrefixes: the prefixes of operator-configured gateways, described by the template paths.
    init(router: Router, customPrefixes: Set<String>, core: CoreConfiguration) throws(ConfigurationError) {
        guard let document = try? JSONValue.parse(OpenAPIDocument.json), let paths = document["paths"] else {
            throw ConfigurationError(variable: "openapi", problem: "the embedded OpenAPI document is not valid JSON")
        }
        var served: [(String, JSONValue)] = []
        var undocumented: [String] = []
        for name in router.names + [Self.routeName] {
            let entries = router.entries(named: name)
            var item: [(String, JSONValue)] = []
            if entries.isEmpty, let own = paths["/\(name)"]?["get"] { item.append(("get", own)) }
            for entry in entries {
                let method = entry.route.method.rawValue.lowercased()
                if let operation = paths["/\(name)"]?[method] {
                    item.append((method, operation))
                } else if customPrefixes.contains(entry.prefix),
                    let template = paths["/\(Self.gatewayParameter)-\(entry.route.action)"]?[method]
                {
                    item.append((method, Self.specialize(template, prefix: entry.prefix)))
                } else {
                    undocumented.append("\(entry.route.method.rawValue) \(name)")
                    item.append((method, Self.undocumentedOperation))
                }
            }
            if !item.isEmpty { served.append(("/\(name)", .object(item))) }
        }
        var result = document.setting("paths", .object(served))
            .setting("servers", .array([.object([("url", .string(core.publicBaseURL))])]))
        if let components = document["components"], let schemas = components["schemas"],
            let amount = schemas["Amount"]
        {
            let ranged = amount.setting("minimum", .int(core.amountRange.lowerBound))
                .setting("maximum", .int(core.amountRange.upperBound))
            result = result.setting("components", components.setting("schemas", schemas.setting("Amount", ranged)))
        }
        body = Array(result.serialized().utf8)
        self.undocumented = undocumented
    }

    /// `GET openapi.json`.
    var route: Route {
        let body = self.body
        return Route(.get, Self.routeName, access: .open) { _ in
            APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
        }
    }

    /// A template operation for one gateway id: its operationId named, the `gateway` path parameter gone.
    static func specialize(_ operation: JSONValue, prefix: String) -> JSONValue {
        var result = operation
        if let id = operation["operationId"]?.stringValue {
            result = result.setting(
                "operationId", .string(id.replacingOccurrences(of: gatewayParameter, with: prefix)))
        }
        if let parameters = operation["parameters"]?.arrayValue {
            let kept = parameters.filter { !($0["in"]?.stringValue == "path" && $0["name"]?.stringValue == "gateway") }
            result = result.setting("parameters", .array(kept))
        }
        return result
    }

    static let undocumentedOperation = JSONValue.object([
        ("x-tn-undocumented", .bool(true)),
        ("responses", .object([("default", .object([("description", .string("not described"))]))])),
    ])
}

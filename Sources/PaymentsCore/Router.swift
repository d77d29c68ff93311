/// Maps `<prefix>-<action>` to a route; the only place a route name is built from its parts.
public struct Router: Sendable {
    /// A resolved route and the prefix of the gateway (or core group) that owns it.
    public struct Entry: Sendable {
        public let name: String
        public let prefix: String
        public let route: Route
    }

    private var table: [String: [Entry]] = [:]

    public init() {}

    /// The route name: `prefix-action`, or the bare action for the unprefixed core group (`health`, `metrics`).
    public static func name(prefix: String, action: String) -> String {
        prefix.isEmpty ? action : "\(prefix)-\(action)"
    }

    /// Adds a group's routes; a duplicate name and method is a programming error reported at start-up.
    public mutating func add(prefix: String, routes: [Route]) throws(ConfigurationError) {
        for route in routes {
            let name = Router.name(prefix: prefix, action: route.action)
            if table[name, default: []].contains(where: { $0.route.method == route.method }) {
                throw ConfigurationError(
                    variable: "routes", problem: "\(route.method.rawValue) \(name) is registered twice")
            }
            table[name, default: []].append(Entry(name: name, prefix: prefix, route: route))
        }
    }

    /// The routes registered under a name (any method), empty when unknown.
    public func entries(named name: String) -> [Entry] { table[name] ?? [] }

    /// The route for a method and name; `HEAD` falls back to `GET`.
    public func resolve(method: String, name: String) -> Entry? {
        let candidates = entries(named: name)
        if let exact = candidates.first(where: { $0.route.method.rawValue == method }) { return exact }
        if method == "HEAD" { return candidates.first { $0.route.method == .get } }
        return nil
    }

    /// Every registered route name, sorted (for docs and tests).
    public var names: [String] { table.keys.sorted() }
}

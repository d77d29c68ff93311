import PaymentsCore

/// The operator-configured gateways listed in `CUSTOM_GATEWAYS` (DESIGN §2, §9), each with its `GW_<ID>_*` settings.
public struct CustomGatewaysConfiguration: Sendable {
    /// Ids a custom gateway may not take: the built-in gateways' route prefixes and ledger ids (DESIGN §2) and `app`.
    public static let reservedIDs: Set<String> = [
        "stripe", "paypal", "cryptomus", "appstore", "googleplay", "gplay", "payeer", "anypay", "app",
    ]
    /// The width of the `gateway` columns.
    public static let maximumIDLength = 32

    /// In `CUSTOM_GATEWAYS` order.
    public let gateways: [CustomGatewayConfiguration]

    public init(gateways: [CustomGatewayConfiguration]) {
        self.gateways = gateways
    }

    /// Reads `CUSTOM_GATEWAYS` (comma-separated ids; empty = none) and every listed gateway's `GW_<ID>_*` variables.
    ///
    /// An id is 1...32 lowercase letters, digits and `_`, listed once, not reserved; two ids whose variable names
    /// collide (`a` and `a_refund` both reading `GW_A_REFUND_AMOUNT`) are refused, and so is a `GW_<ID>_*` variable of
    /// a listed id that no gateway reads (a typo would otherwise silently fall back to a default).
    ///
    /// - Parameters:
    ///   - config: the configuration values.
    ///   - reservedIDs: the ids taken by code-level gateways.
    /// - Throws: `ConfigurationError` naming the offending variable.
    public init(_ config: ConfigReader, reservedIDs: Set<String> = CustomGatewaysConfiguration.reservedIDs)
        throws(ConfigurationError)
    {
        let ids = config.list("CUSTOM_GATEWAYS")
        var seen: Set<String> = []
        var variables: [String: String] = [:]
        for id in ids {
            guard (1...CustomGatewaysConfiguration.maximumIDLength).contains(id.utf8.count),
                id.utf8.allSatisfy(CustomGatewaysConfiguration.isIDByte)
            else {
                throw ConfigurationError(
                    variable: "CUSTOM_GATEWAYS",
                    problem: "has the id '\(id)': ids are 1 to 32 lowercase letters, digits and '_'")
            }
            guard !reservedIDs.contains(id) else {
                throw ConfigurationError(
                    variable: "CUSTOM_GATEWAYS", problem: "has the id '\(id)', which a built-in gateway uses")
            }
            guard seen.insert(id).inserted else {
                throw ConfigurationError(variable: "CUSTOM_GATEWAYS", problem: "lists '\(id)' twice")
            }
            for suffix in CustomGatewayConfiguration.suffixes {
                let name = CustomGatewayConfiguration.variable(id, suffix)
                if let other = variables[name] {
                    throw ConfigurationError(
                        variable: "CUSTOM_GATEWAYS",
                        problem: "has the ids '\(other)' and '\(id)', which would both read \(name)")
                }
                variables[name] = id
            }
        }
        let prefixes = ids.map { "GW_" + $0.uppercased() + "_" }
        for key in config.values.keys.sorted() where variables[key] == nil {
            if prefixes.contains(where: { key.hasPrefix($0) }) {
                throw ConfigurationError(variable: key, problem: "is not a setting of an operator-configured gateway")
            }
        }
        var gateways: [CustomGatewayConfiguration] = []
        for id in ids { gateways.append(try CustomGatewayConfiguration(id: id, config)) }
        self.gateways = gateways
    }

    /// The gateway with `id`, if configured.
    public func gateway(_ id: String) -> CustomGatewayConfiguration? {
        gateways.first { $0.id == id }
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}

import PaymentsCore

/// What a gateway factory receives: its configuration, the shared services and (for core groups built last)
/// the public keys of the gateways enabled before it.
public struct GatewayContext: Sendable {
    public let config: ConfigReader
    public let services: GatewayServices
    public let publicKeys: [(String, String)]

    public init(config: ConfigReader, services: GatewayServices, publicKeys: [(String, String)] = []) {
        self.config = config
        self.services = services
        self.publicKeys = publicKeys
    }
}

/// One line of the registry: a route prefix, the ledger id its rows carry, and how to build it; each gateway owns its
/// own (`StripeGateway.registration`), so these values are spelled once.
public struct GatewayRegistration: Sendable {
    /// Routes are `<prefix>-<action>`; the empty prefix is the bare core group (`health`, `metrics`).
    public let prefix: String
    /// The `gateway` value of ledger rows and sessions (DESIGN §2); nil for core route groups.
    public let ledgerID: String?
    /// `<GW>_ENABLED`; nil for groups that are always on.
    public let enabledKey: String?
    public let make: @Sendable (GatewayContext) throws -> any PaymentGateway
}

/// The one table of gateways and core route groups. Adding a gateway means adding a folder and one line here.
public enum GatewayRegistry {
    public static let all: [GatewayRegistration] = [
        StripeGateway.registration,
        PayPalGateway.registration,
        CryptomusGateway.registration,
        AppStoreGateway.registration,
        GooglePlayGateway.registration,
        PayeerGateway.registration,
        AnypayGateway.registration,
        // Core groups come last so they see the enabled gateways' public keys.
        GatewayRegistration(prefix: "app", ledgerID: nil, enabledKey: nil, make: AppRoutes.init),
        GatewayRegistration(prefix: "", ledgerID: nil, enabledKey: nil, make: OperationsRoutes.init),
    ]

    /// The registrations enabled by configuration, in table order, with one registration per operator-configured
    /// gateway (`CUSTOM_GATEWAYS`) after the code-level gateways and before the core groups.
    public static func enabled(in config: ConfigReader) throws(ConfigurationError) -> [GatewayRegistration] {
        var result: [GatewayRegistration] = []
        for registration in all {
            if let key = registration.enabledKey, !(try config.bool(key, default: false)) { continue }
            result.append(registration)
        }
        let taken = Set(all.flatMap { [$0.prefix] + ($0.ledgerID.map { [$0] } ?? []) })
        let configured = try CustomGateway.registrations(in: config, taken: taken)
        result.insert(contentsOf: configured, at: result.firstIndex { $0.ledgerID == nil } ?? result.endIndex)
        return result
    }

    /// The registration owning a ledger id (for reconciliation).
    public static func registration(ledgerID: String) -> GatewayRegistration? {
        all.first { $0.ledgerID == ledgerID }
    }
}

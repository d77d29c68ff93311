import Gateways
import Logging
import PaymentsCore
import PaymentsStore

/// Builds the shared services and the enabled gateways from configuration; used by the responder and
/// by `payments-sync` so both see exactly the same gateways and settings.
struct ServiceAssembly: Sendable {
    let core: CoreConfiguration
    let database: DatabaseConfiguration
    let sync: SyncConfiguration
    /// Live status (`EVENTS_*`); the events routes read the same variables in their own factory.
    let events: EventsConfiguration
    let services: GatewayServices
    let router: Router
    /// What `GET openapi.json` serves: the OpenAPI document for exactly these routes.
    let description: APIDescription
    /// Enabled gateways by ledger id, for reconciliation.
    let gateways: [String: any PaymentGateway]

    /// - Parameter metrics: the process's registry, for the services' outbound calls and the routes.
    init(configuration config: ConfigReader, transport: any HTTPTransport, metrics: Metrics = Metrics()) throws {
        core = try CoreConfiguration(config)
        database = try DatabaseConfiguration(config)
        sync = try SyncConfiguration(config)
        events = try EventsConfiguration(config)
        let firebase = try FirebaseConfiguration(config)
        let recaptcha = try RecaptchaConfiguration(config)
        services = Self.services(
            core: core, firebase: firebase, recaptcha: recaptcha, transport: transport, metrics: metrics)
        var router = Router()
        var publicKeys: [(String, String)] = []
        var gateways: [String: any PaymentGateway] = [:]
        let enabled = try GatewayRegistry.enabled(in: config)
        for registration in enabled {
            let gateway = try registration.make(
                GatewayContext(config: config, services: services, publicKeys: publicKeys))
            publicKeys += gateway.publicKeys
            try router.add(prefix: registration.prefix, routes: gateway.routes)
            if let ledgerID = registration.ledgerID { gateways[ledgerID] = gateway }
        }
        let builtIn = Set(GatewayRegistry.all.map(\.prefix))
        description = try APIDescription(
            router: router, customPrefixes: Set(enabled.map(\.prefix)).subtracting(builtIn), core: core)
        try router.add(prefix: "", routes: [description.route])
        self.router = router
        self.gateways = gateways
    }

    /// The shared services; Firebase and reCAPTCHA get their outbound services (and circuit breakers) from the
    /// services' one table.
    static func services(
        core: CoreConfiguration, firebase: FirebaseConfiguration, recaptcha: RecaptchaConfiguration,
        transport: any HTTPTransport, metrics: Metrics = Metrics()
    ) -> GatewayServices {
        GatewayServices(
            core: core, transport: transport, metrics: metrics,
            authenticator: { FirebaseAuthenticator(configuration: firebase, service: $0) },
            recaptcha: { RecaptchaVerifier(configuration: recaptcha, service: $0) })
    }
}

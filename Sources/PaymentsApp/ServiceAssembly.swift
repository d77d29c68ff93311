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
    /// Enabled gateways by ledger id, for reconciliation.
    let gateways: [String: any PaymentGateway]

    init(configuration config: ConfigReader, transport: any HTTPTransport) throws {
        core = try CoreConfiguration(config)
        database = try DatabaseConfiguration(config)
        sync = try SyncConfiguration(config)
        events = try EventsConfiguration(config)
        let firebase = try FirebaseConfiguration(config)
        let recaptcha = try RecaptchaConfiguration(config)
        services = Self.services(core: core, firebase: firebase, recaptcha: recaptcha, transport: transport)
        var router = Router()
        var publicKeys: [(String, String)] = []
        var gateways: [String: any PaymentGateway] = [:]
        for registration in try GatewayRegistry.enabled(in: config) {
            let gateway = try registration.make(
                GatewayContext(config: config, services: services, publicKeys: publicKeys))
            publicKeys += gateway.publicKeys
            try router.add(prefix: registration.prefix, routes: gateway.routes)
            if let ledgerID = registration.ledgerID { gateways[ledgerID] = gateway }
        }
        self.router = router
        self.gateways = gateways
    }

    /// The shared services; Firebase and reCAPTCHA get their outbound services (and circuit breakers) from the
    /// services' one table.
    static func services(
        core: CoreConfiguration, firebase: FirebaseConfiguration, recaptcha: RecaptchaConfiguration,
        transport: any HTTPTransport
    ) -> GatewayServices {
        GatewayServices(
            core: core, transport: transport,
            authenticator: { FirebaseAuthenticator(configuration: firebase, service: $0) },
            recaptcha: { RecaptchaVerifier(configuration: recaptcha, service: $0) })
    }
}

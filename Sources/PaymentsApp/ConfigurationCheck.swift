import Gateways
import PaymentsCore
import PaymentsStore

/// What `payments-fcgi --check-config` reports: every configuration problem it can find at once (each part of the
/// configuration is checked on its own, so one mistake does not hide the next), and warnings for variables in the
/// file that nothing reads and for `*_ENABLED` of gateways that do not exist.
public struct ConfigurationCheck: Sendable {
    public private(set) var problems: [String] = []
    public private(set) var warnings: [String] = []

    /// - Parameters:
    ///   - config: the merged file and environment.
    ///   - fileKeys: the variables written in the env file (the process environment is not judged).
    ///   - extraChecks: the executable's own settings (the responder's socket and workers), checked the same way.
    public init(config: ConfigReader, fileKeys: Set<String>, extraChecks: [() throws -> Void] = []) {
        for check in extraChecks { run(check) }
        run { _ = try LineLogHandler.format(config) }
        run { _ = try DatabaseConfiguration.migration(config) }
        run { _ = try SyncConfiguration(config) }
        let core = attempt { try CoreConfiguration(config) }
        let firebase = attempt { try FirebaseConfiguration(config) }
        let recaptcha = attempt { try RecaptchaConfiguration(config) }
        let registrations = attempt { try GatewayRegistry.enabled(in: config) } ?? []
        if let core, let firebase, let recaptcha {
            let services = ServiceAssembly.services(
                core: core, firebase: firebase, recaptcha: recaptcha, transport: NoTransport())
            for registration in registrations {
                run { _ = try registration.make(GatewayContext(config: config, services: services)) }
            }
        } else if !registrations.isEmpty {
            warnings.append("the gateways' settings are checked once the problems above are fixed")
        }
        warn(fileKeys: fileKeys, read: config.keysRead, enabled: registrations)
    }

    public var isValid: Bool { problems.isEmpty }

    private mutating func run(_ body: () throws -> Void) {
        do {
            try body()
        } catch {
            problems.append("\(error)")
        }
    }

    private mutating func attempt<Value>(_ body: () throws -> Value) -> Value? {
        do {
            return try body()
        } catch {
            problems.append("\(error)")
            return nil
        }
    }

    /// Keys of the file nothing read: unknown, or belonging to a gateway that is not enabled.
    private mutating func warn(fileKeys: Set<String>, read: Set<String>, enabled: [GatewayRegistration]) {
        let enableKeys = Set(GatewayRegistry.all.compactMap(\.enabledKey)).union(["RECAPTCHA_ENABLED"])
        let enabledKeys = Set(enabled.compactMap(\.enabledKey))
        let disabled = GatewayRegistry.all.compactMap { registration -> (key: String, prefix: String)? in
            guard let key = registration.enabledKey, !enabledKeys.contains(key) else { return nil }
            return (key, String(key.dropLast("ENABLED".count)))
        }
        var unread = fileKeys.subtracting(read).sorted()
        if !problems.isEmpty {
            // Parts that failed stopped reading at their first problem: only names that are wrong whatever the rest
            // says are reported now.
            unread = unread.filter { $0.hasSuffix("_ENABLED") }
        }
        for key in unread {
            if key.hasSuffix("_ENABLED") && !enableKeys.contains(key) {
                warnings.append(
                    "\(key): no gateway of this name exists (known: \(enableKeys.sorted().joined(separator: ", ")))")
            } else if key.hasSuffix("_ENABLED") {
                continue
            } else if let owner = disabled.first(where: { key.hasPrefix($0.prefix) || Self.belongs(key, to: $0.key) }) {
                warnings.append("\(key) is not used while \(owner.key) is not true")
            } else if !Self.localOnly(key) {
                warnings.append("\(key) is not a variable tn-payments reads (a typo?)")
            }
        }
    }

    /// Google Play's Pub/Sub and OIDC variables do not share its prefix.
    private static func belongs(_ key: String, to enableKey: String) -> Bool {
        enableKey == "GOOGLE_PLAY_ENABLED" && (key.hasPrefix("GOOGLE_PUBSUB_") || key.hasPrefix("GOOGLE_OIDC_"))
    }

    /// Read by the sandbox and the local scripts, not by the responder.
    private static func localOnly(_ key: String) -> Bool {
        key.hasPrefix("SANDBOX_") || key.hasPrefix("RUN_")
    }

    /// The check builds clients but never sends anything.
    private struct NoTransport: HTTPTransport {
        func send(_ request: HTTPRequest) throws -> HTTPResponse {
            throw HTTPTransportError(.connection, "the configuration check sends nothing")
        }
    }
}

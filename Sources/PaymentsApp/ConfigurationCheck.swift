import Gateways
import PaymentsCore
import PaymentsStore

/// What `payments-fcgi --check-config` reports: every configuration problem it can find at once, and warnings for
/// variables in the file that nothing reads and for `*_ENABLED` of gateways that do not exist.
///
/// Each part of the configuration is read on its own through a checking `ConfigReader`, which records a problem and
/// reads on instead of stopping, so every problem of a part is found in one reading. A check written in the part
/// itself still stops the part at its variable; the part is then read again with that variable treated as unset,
/// until it reads through or stops at a variable it already reported. Each variable is reported once.
public struct ConfigurationCheck: Sendable {
    public private(set) var problems: [String] = []
    public private(set) var warnings: [String] = []
    /// Variables already named in `problems`.
    private var reported: Set<String> = []

    /// - Parameters:
    ///   - config: the merged file and environment.
    ///   - fileKeys: the variables written in the env file (the process environment is not judged).
    ///   - extraChecks: the executable's own settings (the responder's socket and workers), checked the same way.
    public init(config: ConfigReader, fileKeys: Set<String>, extraChecks: [(ConfigReader) throws -> Void] = []) {
        for check in extraChecks { _ = attempt(config, check) }
        _ = attempt(config) { _ = try LineLogHandler.format($0) }
        _ = attempt(config) { _ = try DatabaseConfiguration.migration($0) }
        _ = attempt(config) { _ = try SyncConfiguration($0) }
        let core = attempt(config) { try CoreConfiguration($0) }
        let firebase = attempt(config) { try FirebaseConfiguration($0) }
        let recaptcha = attempt(config) { try RecaptchaConfiguration($0) }
        let registrations = attempt(config) { try GatewayRegistry.enabled(in: $0) } ?? []
        if let core, let firebase, let recaptcha {
            let services = ServiceAssembly.services(
                core: core, firebase: firebase, recaptcha: recaptcha, transport: NoTransport())
            for registration in registrations {
                _ = attempt(config) { _ = try registration.make(GatewayContext(config: $0, services: services)) }
            }
        } else if !registrations.isEmpty {
            warnings.append("the gateways' settings are checked once the problems above are fixed")
        }
        warn(fileKeys: fileKeys, read: config.keysRead, enabled: registrations)
    }

    public var isValid: Bool { problems.isEmpty }

    /// Reads one part with checking readers (see the type's comment); its value when a reading got through.
    private mutating func attempt<Value>(_ config: ConfigReader, _ part: (ConfigReader) throws -> Value) -> Value? {
        var settled: Set<String> = []
        while true {
            let reader = config.checking(settled: settled)
            do {
                let value = try part(reader)
                report(reader.problemsRecorded)
                return value
            } catch let stop as ConfigurationError {
                report(reader.problemsRecorded + [stop])
                guard !settled.contains(stop.variable) else { return nil }
                settled.formUnion(reader.problemsRecorded.map(\.variable))
                settled.insert(stop.variable)
            } catch {
                problems.append("\(error)")
                return nil
            }
        }
    }

    private mutating func report(_ found: [ConfigurationError]) {
        for problem in found where reported.insert(problem.variable).inserted {
            problems.append(problem.description)
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

import Foundation
import PaymentsCore

/// Why the integration environment is unusable; tests fail (never skip) with this message.
struct IntegrationSetupError: Error, CustomStringConvertible {
    let description: String
}

/// What scripts/test-integration.sh exported: the URLs of the `test` stack and its env file, parsed once.
struct TestEnvironment: Sendable {
    /// `http://127.0.0.1:18080/api` (no trailing slash).
    let baseURL: String
    /// The sandbox control port, e.g. `http://127.0.0.1:18100`.
    let sandboxURL: String
    let envFilePath: String
    /// The env file's values (the same the responder, payments-sync and the sandbox read).
    let values: [String: String]
    let dbSocket: String
    let repo: String
    /// Where the debug executables are (`TEST_BIN_DIR`, else `<repo>/.build/debug`).
    let binDirectory: String
    /// `TEST_DB_NAME`, when the runner named the database.
    let databaseName: String?

    /// The environment, or a failure explaining what is missing.
    static func load() throws -> TestEnvironment {
        try cached.get()
    }

    private static let cached: Result<TestEnvironment, IntegrationSetupError> = Result {
        () throws(IntegrationSetupError) in
        try TestEnvironment.make(ProcessInfo.processInfo.environment)
    }

    /// The environment of another stack started from this repository (a test's private stack): its env file names
    /// its ports and database socket; the executables are the same.
    func forStack(envFile: String) throws -> TestEnvironment {
        guard let data = FileManager.default.contents(atPath: envFile) else {
            throw IntegrationSetupError(description: "\(envFile) cannot be read")
        }
        let values = try EnvironmentFile.parse(String(decoding: data, as: UTF8.self))
        let port = values["RUN_HTTP_PORT"] ?? ""
        return try Self.make([
            "TEST_BASE_URL": "http://127.0.0.1:\(port)/api", "TEST_ENV_FILE": envFile, "TEST_REPO": repo,
            "TEST_BIN_DIR": binDirectory, "TEST_DB_SOCKET": values["DB_SOCKET"] ?? "",
            "TEST_DB_NAME": values["DB_NAME"] ?? "",
        ])
    }

    private static func make(_ environment: [String: String]) throws(IntegrationSetupError) -> TestEnvironment {
        func required(_ name: String) throws(IntegrationSetupError) -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw IntegrationSetupError(
                    description: "\(name) is not set: integration tests need the test stack; run them through "
                        + "scripts/test-integration.sh (make test), which starts MariaDB, the sandbox, the responder and nginx"
                )
            }
            return value
        }
        let baseURL = try required("TEST_BASE_URL")
        let envFile = try required("TEST_ENV_FILE")
        guard let data = FileManager.default.contents(atPath: envFile) else {
            throw IntegrationSetupError(description: "TEST_ENV_FILE \(envFile) cannot be read")
        }
        let values: [String: String]
        do {
            values = try EnvironmentFile.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw IntegrationSetupError(description: "TEST_ENV_FILE \(envFile) is malformed: \(error)")
        }
        let sandbox =
            environment["TEST_SANDBOX_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "http://127.0.0.1:\(Int(values["SANDBOX_PORT_BASE"] ?? "") ?? 18100)"
        let socket = environment["TEST_DB_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? values["DB_SOCKET"] ?? ""
        guard !socket.isEmpty else {
            throw IntegrationSetupError(description: "neither TEST_DB_SOCKET nor DB_SOCKET is set")
        }
        let repo =
            environment["TEST_REPO"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.currentDirectoryPath
        let bin = environment["TEST_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(repo)/.build/debug"
        return TestEnvironment(
            baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL,
            sandboxURL: sandbox.hasSuffix("/") ? String(sandbox.dropLast()) : sandbox,
            envFilePath: envFile, values: values, dbSocket: socket, repo: repo, binDirectory: bin,
            databaseName: environment["TEST_DB_NAME"].flatMap { $0.isEmpty ? nil : $0 })
    }

    func value(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    func int(_ key: String, default fallback: Int) -> Int { value(key).flatMap { Int($0) } ?? fallback }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let text = value(key)?.lowercased() else { return fallback }
        return text == "true" || text == "1"
    }

    func list(_ key: String) -> [String] {
        (value(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var dbName: String { databaseName ?? value("DB_NAME") ?? "tn_payments" }
    var dbUser: String { value("DB_USER") ?? "root" }
    var dbPassword: String { values["DB_PASSWORD"] ?? "" }
    var webhookSecret: String { list("STRIPE_WEBHOOK_SECRET").first ?? "whsec_sandbox_secret" }
    var webhookTolerance: Int { int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default: 300) }
    var stripeSecretKey: String { value("STRIPE_SECRET_KEY") ?? "sk_test_sandbox" }
    var stripePublishableKey: String { value("STRIPE_PUBLISHABLE_KEY") ?? "pk_test_sandbox" }
    var amountMin: Int64 { Int64(int("AMOUNT_MIN_CENTS", default: 500)) }
    var amountMax: Int64 { Int64(int("AMOUNT_MAX_CENTS", default: 100_000)) }
    var maxBodyBytes: Int { int("MAX_BODY_BYTES", default: 1_048_576) }
    var rateLimitPerMinute: Int { int("RATE_LIMIT_UID_PER_MINUTE", default: 120) }
    var recaptchaEnabled: Bool { bool("RECAPTCHA_ENABLED", default: false) }

    /// The sandbox's Stripe API (`STRIPE_API_BASE`, else control port + 1).
    var stripeAPIBase: String {
        if let base = value("STRIPE_API_BASE") { return base.hasSuffix("/") ? String(base.dropLast()) : base }
        return "http://127.0.0.1:\(int("SANDBOX_PORT_BASE", default: 18100) + 1)"
    }

    /// A debug executable of this repository (`payments-sync`, `payments-fcgi`).
    func executable(_ name: String) -> String { "\(binDirectory)/\(name)" }

    /// Absolute path of a repository script.
    func script(_ name: String) -> String { "\(repo)/scripts/\(name)" }

    /// The pid of the test stack's responder, from `$TEST_RUN_DIR/payments-fcgi.pid`; nil when unknown.
    func responderPID() -> Int32? {
        guard let run = ProcessInfo.processInfo.environment["TEST_RUN_DIR"], !run.isEmpty,
            let data = FileManager.default.contents(atPath: "\(run)/payments-fcgi.pid")
        else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

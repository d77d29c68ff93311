import MariaDB
import PaymentsCore

/// How the responder and `payments-sync` reach MariaDB (DESIGN §9 core keys).
public struct DatabaseConfiguration: Sendable {
    /// A unix socket (`DB_SOCKET`) or TCP host and port (`DB_HOST`/`DB_PORT`).
    public enum Endpoint: Sendable, Equatable {
        case socket(String)
        case tcp(host: String, port: Int)
    }

    public var endpoint: Endpoint
    public var user: String
    /// May be empty (unix_socket authentication); never printed.
    public var password: Secret
    public var database: String
    public var connectTimeoutSeconds: Int
    public var readTimeoutSeconds: Int
    public var writeTimeoutSeconds: Int
    /// Session `innodb_lock_wait_timeout`; a wait that long fails with 1205 and the transaction is retried.
    public var lockWaitTimeoutSeconds: Int

    public init(
        endpoint: Endpoint, user: String, password: Secret = Secret(""), database: String,
        connectTimeoutSeconds: Int = 5, readTimeoutSeconds: Int = 60, writeTimeoutSeconds: Int = 30,
        lockWaitTimeoutSeconds: Int = 20
    ) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
        self.lockWaitTimeoutSeconds = lockWaitTimeoutSeconds
    }

    /// Reads `DB_SOCKET`, or `DB_HOST` and `DB_PORT` (3306), then `DB_USER`, `DB_PASSWORD` (may be empty) and
    /// `DB_NAME`.
    /// - Throws: `ConfigurationError` naming the missing or malformed variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let endpoint: Endpoint
        if let socket = config.optional("DB_SOCKET") {
            endpoint = .socket(socket)
        } else if let host = config.optional("DB_HOST") {
            endpoint = .tcp(host: host, port: try config.int("DB_PORT", default: 3306, range: 1...65_535))
        } else {
            endpoint = try config.reject(
                ConfigurationError(variable: "DB_SOCKET", problem: "or DB_HOST is required but missing"),
                answering: .socket(""))
        }
        self.init(
            endpoint: endpoint, user: try config.string("DB_USER"),
            password: Secret(config.value("DB_PASSWORD") ?? ""),
            database: try config.string("DB_NAME"))
    }

    /// The account `payments-sync migrate` uses: `DB_MIGRATE_USER` and `DB_MIGRATE_PASSWORD` when set, so the schema
    /// can be changed by an account with DDL rights while the runtime account (`DB_USER`) has none; else `DB_USER`.
    /// - Throws: `ConfigurationError` naming the missing or malformed variable.
    public static func migration(_ config: ConfigReader) throws(ConfigurationError) -> DatabaseConfiguration {
        var configuration = try DatabaseConfiguration(config)
        if let user = config.optional("DB_MIGRATE_USER") {
            configuration.user = user
            configuration.password = Secret(config.value("DB_MIGRATE_PASSWORD") ?? "")
        }
        return configuration
    }

    /// The same settings with another database name (tests create one database per suite).
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// The wrapper's connection options.
    public var connectionOptions: ConnectionOptions {
        let target: ConnectionOptions.Endpoint
        switch endpoint {
        case .socket(let path): target = .socket(path)
        case .tcp(let host, let port): target = .tcp(host: host, port: port)
        }
        return ConnectionOptions(
            endpoint: target, user: user, password: password.value, database: database,
            connectTimeoutSeconds: connectTimeoutSeconds, readTimeoutSeconds: readTimeoutSeconds,
            writeTimeoutSeconds: writeTimeoutSeconds, lockWaitTimeoutSeconds: lockWaitTimeoutSeconds)
    }
}

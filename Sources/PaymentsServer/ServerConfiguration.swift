import Logging
import PaymentsCore

/// The responder's own settings: where to listen, how many workers, how much to log (DESIGN §9).
struct ServerConfiguration: Sendable {
    /// Where the listening socket comes from.
    enum Listen: Sendable, Equatable {
        /// Create a unix socket at `path` with permission bits `mode`.
        case socket(path: String, mode: UInt32)
        /// Use a descriptor inherited from systemd socket activation.
        case inherited(descriptor: Int32)
    }

    var listen: Listen
    var workers: Int
    var logLevel: Logger.Level

    /// Reads `FCGI_SOCKET` (required unless systemd passed a socket: `LISTEN_FDS=1`), `FCGI_SOCKET_MODE` (octal,
    /// default 0660), `FCGI_WORKERS` (default 16, 1...256) and `LOG_LEVEL` (default info).
    ///
    /// - Parameters:
    ///   - config: the merged environment file and process environment.
    ///   - inheritedDescriptor: the systemd descriptor, when one was passed.
    /// - Throws: `ConfigurationError` naming the variable.
    init(_ config: ConfigReader, inheritedDescriptor: Int32?) throws(ConfigurationError) {
        listen = try Self.listen(config, inheritedDescriptor: inheritedDescriptor)
        workers = try Self.workers(config)
        logLevel = try Self.logLevel(config)
    }

    /// The listening socket: the inherited descriptor, else `FCGI_SOCKET` (absolute) with `FCGI_SOCKET_MODE`.
    static func listen(_ config: ConfigReader, inheritedDescriptor: Int32?) throws(ConfigurationError) -> Listen {
        if let inheritedDescriptor { return .inherited(descriptor: inheritedDescriptor) }
        let path = try config.string("FCGI_SOCKET", where: { $0.hasPrefix("/") }, otherwise: "must be an absolute path")
        return .socket(path: path, mode: try Self.mode(config))
    }

    /// `FCGI_WORKERS` (16, 1...256).
    static func workers(_ config: ConfigReader) throws(ConfigurationError) -> Int {
        try config.int("FCGI_WORKERS", default: 16, range: 1...256)
    }

    /// `LOG_LEVEL` alone, needed before everything else so the logger exists to report the rest.
    static func logLevel(_ config: ConfigReader) throws(ConfigurationError) -> Logger.Level {
        let text = config.string("LOG_LEVEL", default: "info").lowercased()
        guard let level = Logger.Level(rawValue: text) else {
            throw ConfigurationError(
                variable: "LOG_LEVEL", problem: "must be trace, debug, info, notice, warning, error or critical")
        }
        return level
    }

    private static func mode(_ config: ConfigReader) throws(ConfigurationError) -> UInt32 {
        let text = config.string("FCGI_SOCKET_MODE", default: "0660")
        guard text.count <= 4, let mode = UInt32(text, radix: 8), mode <= 0o777 else {
            throw ConfigurationError(variable: "FCGI_SOCKET_MODE", problem: "must be octal permission bits like 0660")
        }
        return mode
    }
}

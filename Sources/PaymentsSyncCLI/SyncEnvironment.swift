import ArgumentParser
import Foundation
import Logging
import MariaDB
import OutboundHTTP
import PaymentsApp
import PaymentsCore
import PaymentsStore

/// The configuration, logger and outbound transport a subcommand works with, made once per process.
struct SyncEnvironment {
    let config: ConfigReader
    let database: DatabaseConfiguration
    let sync: SyncConfiguration
    let logger: Logger
    /// The one outbound HTTP transport of the process: the reconciler's gateway calls and the Retail pushes share it.
    let transport: any HTTPTransport
    /// The process's metrics registry (swift-metrics' backend): `run` writes its gauges from it to the textfile.
    let metrics: Metrics

    /// Loads the env file and environment, bootstraps swift-log and swift-metrics (once, here) and initialises
    /// libmariadb.
    /// - Throws: `ExitCode(78)` (`EX_CONFIG`) after printing `payments-sync: <problem>` when the configuration is unusable.
    static func load(_ options: GlobalOptions) throws -> SyncEnvironment {
        let file = options.resolvedEnvFile
        let config: ConfigReader
        let database: DatabaseConfiguration
        let sync: SyncConfiguration
        do {
            config = ConfigReader(try EnvironmentFile.load(path: file.path, required: file.required))
            database = try DatabaseConfiguration(config)
            sync = try SyncConfiguration(config)
        } catch {
            throw SyncEnvironment.fail(error)
        }
        let level = Logger.Level(rawValue: config.string("LOG_LEVEL", default: "info").lowercased())
        guard let level else {
            throw SyncEnvironment.fail(
                ConfigurationError(
                    variable: "LOG_LEVEL", problem: "must be trace|debug|info|notice|warning|error|critical"))
        }
        let format: LineLogHandler.Format
        do {
            format = try LineLogHandler.format(config)
        } catch {
            throw SyncEnvironment.fail(error)
        }
        let journal = LineLogHandler.stderrIsJournal(config.values)
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: format, priorityPrefix: journal)
            handler.logLevel = level
            return handler
        }
        do {
            try MariaDBLibrary.initialize()
        } catch {
            SyncEnvironment.printError("cannot initialise libmariadb: \(error)")
            throw ExitCode(1)
        }
        let metrics = Metrics()
        metrics.bootstrapMetricsSystem()
        return SyncEnvironment(
            config: config, database: database, sync: sync, logger: Logger(label: "payments-sync"),
            transport: SocketHTTPTransport(), metrics: metrics)
    }

    /// The Retail client; needs `RETAIL_API_URL`, `RETAIL_API_KEY` and the core settings.
    func retailClient() throws -> RetailClient {
        do {
            return RetailClient(configuration: try CoreConfiguration(config), transport: transport)
        } catch {
            throw SyncEnvironment.fail(error)
        }
    }

    /// Prints a configuration problem and returns the exit code 78 (`EX_CONFIG`) to throw.
    static func fail(_ error: any Error) -> ExitCode {
        printError("\(error)")
        return ExitCode(ConfigurationError.exitCode)
    }

    /// Writes `payments-sync: <message>` to standard error.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("payments-sync: \(message)\n".utf8))
    }

    /// The worse (higher) of two exit codes.
    static func worse(_ a: Int32, _ b: Int32) -> Int32 { max(a, b) }
}

import ArgumentParser
import BuildInfo
import FastCGI
import Foundation
import Logging
import PaymentsApp
import PaymentsCore

#if canImport(Glibc)
    import Glibc
#endif

/// `payments-fcgi`: the FastCGI responder nginx talks to; reads configuration, wires the application and serves.
struct PaymentsFCGICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments-fcgi",
        abstract: "The tn-payments FastCGI responder (a fixed pool of worker threads behind nginx).",
        version: BuildInfo.description)

    static let defaultEnvFile = "/etc/tn-payments/payments.env"
    /// libfcgi `select()`s on accepted sockets, which breaks at descriptor 1024 and above (DESIGN §12).
    static let descriptorLimit: rlim_t = 1024

    @Option(help: "Environment file in systemd EnvironmentFile= syntax (default: \(defaultEnvFile), optional).")
    var envFile: String?

    @Option(
        help: "Directory of the sql/NNNN_*.sql migrations (default: \(MigrationDirectory.defaultDescription)).")
    var sqlDir: String?

    @Flag(
        help:
            "Check the configuration (every problem at once, warnings for unknown variables) and the schema; exit 0 or 78."
    )
    var checkConfig = false

    func run() throws {
        // Before anything can start a thread, so every thread inherits the mask and only the watcher takes them.
        SignalWatcher.blockInCallingThread()

        let config: ConfigReader
        do {
            config = ConfigReader(
                try EnvironmentFile.load(path: envFile ?? Self.defaultEnvFile, required: envFile != nil))
        } catch {
            throw Self.configurationFailure(error)
        }
        if checkConfig { try checkEveryPart(config) }
        let logLevel: Logger.Level
        let logFormat: LineLogHandler.Format
        do {
            logLevel = try ServerConfiguration.logLevel(config)
            logFormat = try LineLogHandler.format(config)
        } catch {
            throw Self.configurationFailure(error)
        }
        let journal = LineLogHandler.stderrIsJournal(config.values)
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: logFormat, priorityPrefix: journal)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "payments-fcgi")

        let server: ServerConfiguration
        let application: Application
        do {
            server = try ServerConfiguration(
                config, inheritedDescriptor: FastCGIListener.systemdDescriptor(environment: config.values))
            application = try Application(
                configuration: config, logger: logger, sqlDirectory: MigrationDirectory.resolve(explicit: sqlDir),
                connections: server.workers)
        } catch let error as ConfigurationError {
            throw Self.configurationFailure(error)
        } catch {
            Self.printError("\(error)")
            throw ExitCode.failure
        }
        if checkConfig {
            print("payments-fcgi: configuration OK")
            return
        }
        let threads = server.workers * WorkerPool.threadsPerConnection
        Self.bootstrapMetrics(application.metrics, workers: threads)

        Self.capDescriptors(logger: logger)
        let listener: FastCGIListener
        do {
            try FastCGILibrary.initialize()
            switch server.listen {
            case .socket(let path, let mode): listener = try FastCGIListener.bind(path: path, mode: mode)
            case .inherited(let descriptor): listener = try FastCGIListener.inherited(descriptor: descriptor)
            }
        } catch {
            Self.printError("\(error)")
            throw ExitCode.failure
        }

        application.start()
        let pool = WorkerPool(
            application: application, listener: listener, logger: logger, connectionCount: server.workers)
        pool.start()
        let systemd = SystemdNotifier(environment: config.values)
        SignalWatcher.start(logger: logger) { _ in
            systemd.notify("STOPPING=1")
            pool.stop()
        }
        logger.info(
            "listening",
            metadata: [
                "socket": "\(listener.path ?? "fd \(listener.descriptor)")", "connections": "\(server.workers)",
                "workers": "\(threads)",
            ])
        // The socket listens and the schema was checked against the database (Application's start-up): ready.
        systemd.notify(
            "READY=1\nSTATUS=serving with \(threads) workers on \(server.workers) connections")
        Self.feedWatchdog(systemd, pool: pool, logger: logger)

        pool.waitUntilFinished()
        // Queued Retail pushes get what is left of the 10 s stop budget (DESIGN §11), at least one second.
        application.shutdown(deadlineSeconds: max(1, 10 - pool.secondsSinceStop))
        listener.close()
        logger.info("stopped")
    }

    /// Makes the application's registry the process's swift-metrics backend and sets the series that never change.
    private static func bootstrapMetrics(_ metrics: Metrics, workers: Int) {
        metrics.bootstrapMetricsSystem()
        metrics.set(
            MetricName.buildInfo, labels: [("version", BuildInfo.version), ("commit", BuildInfo.commit)], to: 1)
        metrics.set(MetricName.workers, to: Double(workers))
    }

    /// Pings systemd's watchdog (`WatchdogSec=`) every half period while the worker pool can take requests; a pool
    /// whose every worker is stuck stops the pings, and systemd restarts the responder.
    private static func feedWatchdog(_ systemd: SystemdNotifier, pool: WorkerPool, logger: Logger) {
        guard let interval = systemd.watchdogInterval else { return }
        let thread = Thread {
            while pool.runningCount > 0 {
                if pool.isResponsive(within: interval * 2) {
                    systemd.notify("WATCHDOG=1")
                } else {
                    logger.error("every worker is stuck in one request; the systemd watchdog is no longer fed")
                }
                usleep(useconds_t(min(interval, 60) * 1_000_000))
            }
        }
        thread.name = "watchdog"
        thread.start()
    }

    /// `--check-config`: prints every problem of every part of the configuration and the warnings (unknown
    /// variables, `*_ENABLED` of gateways that do not exist) before the schema is checked.
    /// - Throws: `ExitCode(78)` when there is any problem.
    private func checkEveryPart(_ config: ConfigReader) throws {
        let path = envFile ?? Self.defaultEnvFile
        let fileKeys = Set(((try? EnvironmentFile.load(path: path, required: false, environment: [:])) ?? [:]).keys)
        let check = ConfigurationCheck(
            config: config, fileKeys: fileKeys,
            extraChecks: [
                { _ = try ServerConfiguration.logLevel($0) },
                {
                    _ = try ServerConfiguration.listen(
                        $0, inheritedDescriptor: FastCGIListener.systemdDescriptor(environment: config.values))
                },
                { _ = try ServerConfiguration.workers($0) },
            ])
        for warning in check.warnings { Self.printError("warning: \(warning)") }
        guard check.isValid else {
            for problem in check.problems { Self.printError(problem) }
            Self.printError("\(check.problems.count) configuration problem(s)")
            throw ExitCode(ConfigurationError.exitCode)
        }
    }

    /// Lowers the soft descriptor limit to 1024 when the environment allows more, so no socket lands above `select()`'s
    /// range even when started outside systemd (the unit sets `LimitNOFILE=1024` too).
    private static func capDescriptors(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur > descriptorLimit else { return }
        limit.rlim_cur = descriptorLimit
        if setrlimit(RLIMIT_NOFILE_VALUE, &limit) != 0 {
            logger.warning("cannot lower the descriptor limit to 1024", metadata: ["errno": "\(errno)"])
        }
    }

    private static func configurationFailure(_ error: ConfigurationError) -> ExitCode {
        printError(error.description)
        return ExitCode(ConfigurationError.exitCode)
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data("payments-fcgi: \(message)\n".utf8))
    }
}

#if canImport(Glibc)
    /// `RLIMIT_NOFILE` as the type `getrlimit` takes on glibc (the C enum imports as its own type).
    private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#endif

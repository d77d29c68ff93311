import ArgumentParser
import PaymentsApp
import PaymentsCore

/// `payments-sync reconcile`: one reconciliation pass over due open sessions (DESIGN §8).
struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Re-read open payment sessions from their gateways and settle them.")

    @OptionGroup var options: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "List the sessions that would be reconciled; change nothing.")
    var dryRun = false

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let code = try ReconcileCommand.reconcile(environment, dryRun: dryRun)
        if code != 0 { throw ExitCode(code) }
    }

    /// Runs one pass, prints its summary and returns its exit code; configuration problems exit 78 at once.
    static func reconcile(_ environment: SyncEnvironment, dryRun: Bool) throws -> Int32 {
        let reconciler: Reconciler
        do {
            reconciler = try Reconciler(
                configuration: environment.config, transport: environment.transport, logger: environment.logger)
        } catch let error as ConfigurationError {
            throw SyncEnvironment.fail(error)
        } catch {
            SyncEnvironment.printError("reconcile cannot start: \(error)")
            return 1
        }
        let summary = reconciler.run(dryRun: dryRun)
        print(summary.description)
        return summary.exitCode
    }
}

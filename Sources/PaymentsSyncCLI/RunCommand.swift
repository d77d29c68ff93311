import ArgumentParser
import Foundation
import Logging
import PaymentsApp
import PaymentsCore
import PaymentsStore

/// `payments-sync run`: a reconciliation pass, then one pass over due ledger rows, then payload retention.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Reconcile open sessions, push due rows to Retail, purge old webhook payloads.")

    @OptionGroup var options: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "List what would be reconciled and pushed; change nothing.")
    var dryRun = false

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let client = try environment.retailClient()
        let reconcileCode = try ReconcileCommand.reconcile(environment, dryRun: dryRun)
        let syncCode = SyncRunner(environment: environment, client: client).run(dryRun: dryRun)
        var code = SyncEnvironment.worse(reconcileCode, syncCode)
        if !dryRun && syncCode != ConfigurationError.exitCode {
            code = SyncEnvironment.worse(code, PurgeCommand.purge(environment))
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Runs the sync pass (or lists due rows) and prints its summary.
struct SyncRunner {
    let environment: SyncEnvironment
    let client: RetailClient

    /// Returns the pass's exit code (0, 1 or 78).
    func run(dryRun: Bool) -> Int32 {
        let database = environment.database
        let pass = SyncPass(
            configuration: environment.sync, database: database, client: client, logger: environment.logger,
            progress: { print($0) })
        if dryRun {
            do {
                let rows = try pass.dueRows(limit: 10_000)
                for row in rows {
                    print(
                        "would push \(row.paymentID) uid=\(row.uid) gateway=\(row.gateway) amount=\(row.amount.cents) attempts=\(row.attempts)"
                    )
                }
                print("sync: \(rows.count) due row(s)\(rows.count == 10_000 ? " (first 10000 shown)" : "")")
                return 0
            } catch {
                SyncEnvironment.printError("cannot list due rows: \(error)")
                return 1
            }
        }
        let started = Date()
        let summary = pass.run()
        let seconds = Date().timeIntervalSince(started)
        print("sync: \(summary) seconds=\(String(format: "%.3f", seconds))")
        writeMetrics(summary)
        if let reason = summary.configurationError {
            SyncEnvironment.printError(
                "Retail refused the credentials (\(reason)); check RETAIL_API_KEY and RETAIL_API_URL")
        }
        return summary.exitCode
    }

    /// Writes `SYNC_METRICS_TEXTFILE`, when set: the pass's counts and the backlog after it. A file that cannot be
    /// written is reported and leaves the exit code alone (the stale file's alert tells the operator).
    private func writeMetrics(_ summary: SyncPassSummary) {
        guard let path = environment.sync.metricsTextfile else { return }
        let store = SyncStore(configuration: environment.database)
        defer { store.close() }
        let backlog = (try? store.stats()).map {
            SyncMetricsTextfile.Backlog(
                unsynced: $0.unsynced, failed: $0.failed, oldestSeconds: $0.oldestUnsyncedSeconds)
        }
        do {
            try SyncMetricsTextfile(path: path).write(
                summary: summary, backlog: backlog, now: Date().timeIntervalSince1970, metrics: environment.metrics)
        } catch {
            environment.logger.error("metrics textfile not written", metadata: ["error": "\(error)"])
        }
    }
}

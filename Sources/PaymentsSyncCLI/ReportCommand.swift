import ArgumentParser
import PaymentsCore
import PaymentsStore

/// `payments-sync report`: what needs an operator — failed rows, open operator items, the unsynced backlog.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Show failed rows, open operator items and the unsynced backlog.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Show at most this many failed rows and operator items each.")
    var limit = 1000

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = SyncStore(configuration: environment.database)
        defer { store.close() }
        let report: SyncReport
        do {
            report = try store.report(limit: limit)
        } catch {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(1)
        }
        print("unsynced rows: \(report.unsyncedCount), oldest: \(report.oldestUnsyncedSeconds) s")
        print("failed rows: \(report.failedRows.count)")
        for row in report.failedRows {
            print(
                "  \(row.paymentID) uid=\(row.uid) gateway=\(row.gateway) amount=\(row.amount.cents) "
                    + "attempts=\(row.attempts) created=\(row.createdAt) error=\(row.lastError ?? "-")")
        }
        print("open operator items: \(report.openOperatorItems.count)")
        for item in report.openOperatorItems {
            print("  #\(item.id) \(item.gateway) \(item.reference) reason=\(item.reason) created=\(item.createdAt)")
        }
    }
}

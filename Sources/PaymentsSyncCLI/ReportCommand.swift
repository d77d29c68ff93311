import ArgumentParser
import PaymentsCore
import PaymentsStore

/// `payments-sync report`: what needs an operator — failed rows, open operator items, the unsynced backlog.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Show failed rows, open operator items and the unsynced backlog.",
        discussion: """
            Exit codes: 0 nothing needs a person, 1 rows failed for good or operator items are open, 2 the database \
            could not be read, 78 configuration error.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "Show at most this many failed rows and operator items each.")
    var limit = 1000

    @Flag(help: "Print one JSON object (for monitoring checks) instead of lines.")
    var json = false

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = SyncStore(configuration: environment.database)
        defer { store.close() }
        let report: SyncReport
        do {
            report = try store.report(limit: limit)
        } catch {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(2)
        }
        if json {
            print(Self.json(report).serialized())
        } else {
            printLines(report)
        }
        // A monitoring check runs this: anything that needs a person is a non-zero exit.
        if !report.failedRows.isEmpty || !report.openOperatorItems.isEmpty { throw ExitCode(1) }
    }

    private func printLines(_ report: SyncReport) {
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

    static func json(_ report: SyncReport) -> JSONValue {
        .object([
            ("unsynced_rows", .int(report.unsyncedCount)),
            ("oldest_unsynced_seconds", .int(report.oldestUnsyncedSeconds)),
            (
                "failed_rows",
                .array(
                    report.failedRows.map { row in
                        .object([
                            ("payment_id", .string(row.paymentID)), ("uid", .string(row.uid)),
                            ("gateway", .string(row.gateway)), ("amount", .int(row.amount.cents)),
                            ("attempts", .int(row.attempts)),
                            ("last_error", row.lastError.map { .string($0) } ?? .null),
                            ("created_at", .int(row.createdAt)),
                        ])
                    })
            ),
            (
                "open_operator_items",
                .array(
                    report.openOperatorItems.map { item in
                        .object([
                            ("id", .int(item.id)), ("gateway", .string(item.gateway)),
                            ("reference", .string(item.reference)), ("reason", .string(item.reason)),
                            ("created_at", .int(item.createdAt)),
                        ])
                    })
            ),
        ])
    }
}

import ArgumentParser
import PaymentsApp
import PaymentsStore

/// `payments-sync purge`: drops webhook payloads older than `WEBHOOK_RETENTION_DAYS` (DESIGN §11).
struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Purge webhook payloads older than WEBHOOK_RETENTION_DAYS.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let code = PurgeCommand.purge(try SyncEnvironment.load(options))
        if code != 0 { throw ExitCode(code) }
    }

    /// Purges and prints the count; returns 0, or 1 when the database failed.
    static func purge(_ environment: SyncEnvironment) -> Int32 {
        let store = SyncStore(configuration: environment.database)
        defer { store.close() }
        do {
            let days = environment.sync.webhookRetentionDays
            let purged = try store.purgeWebhookPayloads(olderThanDays: days)
            print("purge: \(purged) webhook payload(s) older than \(days) days removed")
            return 0
        } catch {
            SyncEnvironment.printError("purge failed: \(error)")
            return 1
        }
    }
}

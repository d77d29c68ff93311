import ArgumentParser
import BuildInfo

/// `payments-sync`: schema migrations, Retail sync, reconciliation and operator tools (DESIGN §7, §8, §11).
@main
struct PaymentsSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments-sync",
        abstract: "Migrates the schema, pushes the ledger to the Retail API and reconciles open payment sessions.",
        discussion: """
            Exit codes: 0 everything pushed and synced, 1 some rows failed or will be retried, \
            78 (EX_CONFIG) configuration error, including Retail answering 401/403 (the rows stay due).
            """,
        version: BuildInfo.description,
        subcommands: [
            MigrateCommand.self, RunCommand.self, ReconcileCommand.self, RequeueCommand.self, ReportCommand.self,
            PurgeCommand.self, ItemsCommand.self, ShowCommand.self, RefundCommand.self, CaptureCommand.self,
            CancelCommand.self, EventsCommand.self,
        ])
}

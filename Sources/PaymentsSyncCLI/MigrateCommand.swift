import ArgumentParser
import PaymentsCore
import PaymentsStore

/// `payments-sync migrate`: applies pending `sql/` files (DESIGN §6); the responder's `ExecStartPre`.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending schema migrations.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let directory = options.resolvedSQLDirectory
        do {
            let applied = try Migrator(configuration: environment.database, directory: directory).migrate()
            if applied.isEmpty {
                print("migrate: schema is current (\(directory))")
            } else {
                for version in applied { print("migrate: applied \(version)") }
            }
        } catch {
            SyncEnvironment.printError("\(error)")
            // An unreadable or misnamed migrations folder is a configuration error: restarting will not fix it.
            throw ExitCode(error.kind == .invalidFile ? ConfigurationError.exitCode : 1)
        }
    }
}

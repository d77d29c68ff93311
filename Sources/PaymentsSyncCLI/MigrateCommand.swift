import ArgumentParser
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
            throw ExitCode(error.kind == .invalidFile ? 2 : 1)
        }
    }
}

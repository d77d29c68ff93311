import ArgumentParser
import Foundation
import PaymentsCore
import PaymentsStore

/// `payments-sync migrate`: applies pending `sql/` files (DESIGN §6); the responder's `ExecStartPre`.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (--status: list them, change nothing), as DB_MIGRATE_USER if set.",
        discussion: "With --status the exit code is 0 when every file is applied unchanged, 1 otherwise.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "List every migration file as applied, pending or changed, with its SHA-256; apply nothing.")
    var status = false

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let directory = options.resolvedSQLDirectory
        let account: DatabaseConfiguration
        do {
            account = try DatabaseConfiguration.migration(environment.config)
        } catch {
            throw SyncEnvironment.fail(error)
        }
        do {
            if status {
                let files = try Migrator(configuration: account, directory: directory).status()
                for file in files {
                    let applied = file.appliedAt.map { " applied \(RecordPrinter.utc($0))" } ?? ""
                    print(
                        "\(file.version)  \(file.state.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  "
                            + "\(file.checksum)  \(file.file)\(applied)")
                }
                let pending = files.filter { $0.state != .applied }.count
                print("migrate: \(files.count - pending) applied, \(pending) pending or changed (\(directory))")
                if pending > 0 { throw ExitCode(1) }
                return
            }
            let applied = try Migrator(configuration: account, directory: directory).migrate()
            if applied.isEmpty {
                print("migrate: schema is current (\(directory))")
            } else {
                for version in applied { print("migrate: applied \(version)") }
            }
        } catch let error as MigrationError {
            SyncEnvironment.printError("\(error)")
            // An unreadable or misnamed migrations folder is a configuration error: restarting will not fix it.
            throw ExitCode(error.kind == .invalidFile ? ConfigurationError.exitCode : 1)
        }
    }
}

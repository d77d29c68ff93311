import ArgumentParser
import Foundation
import PaymentsApp

/// The options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    static let defaultEnvFile = "/etc/tn-payments/payments.env"

    @Option(name: .customLong("env-file"), help: "Environment file (KEY=VALUE); process variables override it.")
    var envFile: String?

    @Option(
        name: .customLong("sql-dir"),
        help: "Migration files (default: \(MigrationDirectory.defaultDescription)).")
    var sqlDirectory: String?

    /// The env file path; only an explicitly named file must exist.
    var resolvedEnvFile: (path: String, required: Bool) {
        if let envFile { return (envFile, true) }
        return (GlobalOptions.defaultEnvFile, false)
    }

    /// The migrations folder.
    var resolvedSQLDirectory: String { MigrationDirectory.resolve(explicit: sqlDirectory) }
}

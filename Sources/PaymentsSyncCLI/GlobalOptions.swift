import ArgumentParser
import Foundation

/// The options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    static let defaultEnvFile = "/etc/tn-payments/payments.env"
    static let installedSQLDirectory = "/usr/share/tn-payments/sql"

    @Option(name: .customLong("env-file"), help: "Environment file (KEY=VALUE); process variables override it.")
    var envFile: String?

    @Option(
        name: .customLong("sql-dir"),
        help: "Migration files (default /usr/share/tn-payments/sql if present, else ./sql).")
    var sqlDirectory: String?

    /// The env file path; only an explicitly named file must exist.
    var resolvedEnvFile: (path: String, required: Bool) {
        if let envFile { return (envFile, true) }
        return (GlobalOptions.defaultEnvFile, false)
    }

    /// The migrations folder.
    var resolvedSQLDirectory: String {
        if let sqlDirectory { return sqlDirectory }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: GlobalOptions.installedSQLDirectory, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            return GlobalOptions.installedSQLDirectory
        }
        return "./sql"
    }
}

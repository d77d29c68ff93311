import Foundation

/// Where the executables find the `sql/NNNN_*.sql` migrations when `--sql-dir` is not given.
///
/// `make install` puts them in `$(PREFIX)/share/tn-payments/sql` beside `$(PREFIX)/bin`, so an installed executable
/// finds them from its own path whatever the prefix (also inside a `DESTDIR` staging tree); `/usr/share/tn-payments/sql`
/// (a distribution package's place) comes next, and `./sql` (a checkout) last.
public enum MigrationDirectory {
    public static let distributionPath = "/usr/share/tn-payments/sql"

    /// What `--help` says about the default.
    public static let defaultDescription =
        "<bin>/../share/tn-payments/sql next to the executable, else \(distributionPath), else ./sql"

    /// `explicit` when given, else the first existing directory of `defaultDescription`.
    public static func resolve(explicit: String?) -> String {
        if let explicit { return explicit }
        var candidates = [distributionPath]
        if let installed = besideExecutable() { candidates.insert(installed, at: 0) }
        return candidates.first(where: isDirectory) ?? "sql"
    }

    /// `<dir of the running executable>/../share/tn-payments/sql`, from the kernel's link to the executable.
    private static func besideExecutable() -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/tn-payments/sql").path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}

import Foundation
import PaymentsCore

/// One `sql/NNNN_title.sql` file: its version prefix, bytes and statements.
struct MigrationFile {
    let version: String
    let name: String
    let bytes: [UInt8]

    /// Files named `NNNN_title.sql` in `directory`, sorted by version; other `.sql` names are an error.
    static func load(directory: String) throws(MigrationError) -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError(.invalidFile, "cannot list \(directory): \(error.localizedDescription)")
        }
        var files: [MigrationFile] = []
        var seen: Set<String> = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let prefix = name.prefix(while: \.isASCIIDigit)
            guard prefix.count == 4, name.dropFirst(4).first == "_", name.count > 9 else {
                throw MigrationError(.invalidFile, "\(name) is not named NNNN_title.sql")
            }
            let version = String(prefix)
            guard seen.insert(version).inserted else {
                throw MigrationError(.invalidFile, version: version, "two files share version \(version)")
            }
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw MigrationError(.invalidFile, version: version, "cannot read \(name)")
            }
            files.append(MigrationFile(version: version, name: name, bytes: [UInt8](data)))
        }
        return files
    }

    /// The statements of the file: split on the delimiter (`;`, or what a `DELIMITER` line sets, as the `mariadb`
    /// client reads it, so a stored procedure's body keeps its own `;`) at line ends; `--` comment lines and blank
    /// statements dropped.
    var statements: [String] {
        var statements: [String] = []
        var current: [Substring] = []
        var delimiter = ";"
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || (trimmed.isEmpty && current.isEmpty) { continue }
            if current.isEmpty, trimmed.uppercased().hasPrefix("DELIMITER ") {
                let chosen = trimmed.dropFirst("DELIMITER ".count).trimmingCharacters(in: .whitespaces)
                if !chosen.isEmpty { delimiter = chosen }
                continue
            }
            current.append(line)
            if trimmed.hasSuffix(delimiter) {
                var text = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                text.removeLast(delimiter.count)
                text = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { statements.append(text) }
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}

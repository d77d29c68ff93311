import Foundation

/// Reads a systemd `EnvironmentFile=`-style file: `KEY=VALUE`, `#` comments, single or double quotes.
public enum EnvironmentFile {
    /// Parses the file's text; malformed lines are reported by line number.
    public static func parse(_ text: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine).trimmingCharacters(in: .whitespaces)[...]
            if line.hasPrefix("export ") { line = line.dropFirst(7) }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(variable: "line \(number + 1)", problem: "is not KEY=VALUE")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigurationError(variable: "line \(number + 1)", problem: "has an invalid key")
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" {
                    value = value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(
                        of: "\\\\", with: "\\")
                }
            }
            values[key] = value
        }
        return values
    }

    /// Loads the file (when it exists) and overlays the process environment, which wins (DESIGN §9).
    public static func load(
        path: String, required: Bool, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(ConfigurationError) -> [String: String]
    {
        var values: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            values = try parse(String(decoding: data, as: UTF8.self))
        } else if required {
            throw ConfigurationError(variable: "--env-file", problem: "cannot read \(path)")
        }
        for (key, value) in environment { values[key] = value }
        return values
    }
}

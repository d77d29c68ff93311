import Foundation

/// Reads a systemd `EnvironmentFile=`-style file: `KEY=VALUE` lines (LF, CRLF or CR), `#` comments, single or double
/// quotes.
public enum EnvironmentFile {
    /// Parses the file's text; malformed lines are reported by line number.
    public static func parse(_ text: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in lines(of: text).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)[...]
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

    /// The lines of `text`, ended by LF, CRLF or CR as systemd reads them. Split by Unicode scalar: "\r\n" is one
    /// Character, and so is a CR followed by a combining mark, so a split by Character would miss line ends.
    private static func lines(of text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            if scalar == "\n" && afterCR { continue }
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(String(current))
        return lines
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

import Foundation

/// Typed, validated access to configuration values; every failure names the variable (DESIGN §9).
///
/// It remembers which variables were asked for (`keysRead`), so `--check-config` can name the ones in the file that
/// nothing reads. A reader made by `checking(settled:)` records each problem and answers a stand-in (the default, or
/// an empty value) instead of throwing, so one reading of a part finds every problem in it, not only the first.
public struct ConfigReader: Sendable {
    public let values: [String: String]
    private let log: KeyLog
    /// Present only on a checking reader: where its problems go instead of being thrown.
    private let recorder: ProblemRecorder?
    /// Variables whose problem was already reported: a checking reader treats them as unset and reports nothing more.
    private let settled: Set<String>

    public init(_ values: [String: String]) {
        self.init(values: values, log: KeyLog(), recorder: nil, settled: [])
    }

    private init(values: [String: String], log: KeyLog, recorder: ProblemRecorder?, settled: Set<String>) {
        self.values = values
        self.log = log
        self.recorder = recorder
        self.settled = settled
    }

    /// A reader of the same values that records problems instead of throwing them (`problemsRecorded`), and treats
    /// the `settled` variables as unset without reporting them again. Variables it reads count in `keysRead` here.
    public func checking(settled: Set<String> = []) -> ConfigReader {
        ConfigReader(values: values, log: log, recorder: ProblemRecorder(), settled: settled)
    }

    /// What a checking reader recorded, in reading order; always empty on an ordinary reader.
    public var problemsRecorded: [ConfigurationError] { recorder?.problems ?? [] }

    /// Throws `problem`; a checking reader records it instead (unless its variable is settled) and answers `standIn`
    /// so the reading goes on to the next variable.
    public func reject<Value>(_ problem: ConfigurationError, answering standIn: Value) throws(ConfigurationError)
        -> Value
    {
        guard let recorder else { throw problem }
        if !settled.contains(problem.variable) { recorder.record(problem) }
        return standIn
    }

    /// A non-empty value or nil; an empty value counts as missing.
    public func optional(_ key: String) -> String? {
        guard let value = value(key), !value.isEmpty else { return nil }
        return value
    }

    /// The value as written, empty included (`DB_PASSWORD` may be empty on purpose).
    public func value(_ key: String) -> String? {
        log.note(key)
        return settled.contains(key) ? nil : values[key]
    }

    /// Every variable asked for so far, present or not.
    public var keysRead: Set<String> { log.keys }

    private final class KeyLog: Sendable {
        private let read = Locked<Set<String>>([])
        func note(_ key: String) { _ = read.withLock { $0.insert(key) } }
        var keys: Set<String> { read.withLock { $0 } }
    }

    private final class ProblemRecorder: Sendable {
        private let recorded = Locked<[ConfigurationError]>([])
        func record(_ problem: ConfigurationError) { recorded.withLock { $0.append(problem) } }
        var problems: [ConfigurationError] { recorded.withLock { $0 } }
    }

    private static func missing(_ key: String) -> ConfigurationError {
        ConfigurationError(variable: key, problem: "is required but missing")
    }

    public func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = optional(key) else { return try reject(Self.missing(key), answering: "") }
        return value
    }

    /// A required value that must pass `isValid`; `problem` says what it must be (`"must be the numeric shop id"`).
    public func string(_ key: String, where isValid: (String) -> Bool, otherwise problem: String)
        throws(ConfigurationError) -> String
    {
        guard let value = optional(key) else { return try reject(Self.missing(key), answering: "") }
        guard isValid(value) else {
            return try reject(ConfigurationError(variable: key, problem: problem), answering: value)
        }
        return value
    }

    /// A required comma-separated list of at least one item.
    public func requiredList(_ key: String) throws(ConfigurationError) -> [String] {
        let items = list(key)
        guard !items.isEmpty else { return try reject(Self.missing(key), answering: []) }
        return items
    }

    public func string(_ key: String, default fallback: String) -> String { optional(key) ?? fallback }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>? = nil) throws(ConfigurationError)
        -> Int
    {
        guard let text = optional(key) else { return fallback }
        guard let value = Int(text) else {
            return try reject(
                ConfigurationError(variable: key, problem: "must be an integer, got '\(text)'"), answering: fallback)
        }
        if let range, !range.contains(value) {
            return try reject(
                ConfigurationError(variable: key, problem: "must be within \(range.lowerBound)...\(range.upperBound)"),
                answering: fallback)
        }
        return value
    }

    /// A finite decimal number; `nan`, `inf` and values beyond Double (`1e400`) are refused, naming the variable.
    public func double(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard let text = optional(key) else { return fallback }
        guard let value = Double(text), value.isFinite else {
            return try reject(
                ConfigurationError(variable: key, problem: "must be a finite number, got '\(text)'"),
                answering: fallback)
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = optional(key) else { return fallback }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default:
            return try reject(ConfigurationError(variable: key, problem: "must be true/false/1/0"), answering: fallback)
        }
    }

    /// A comma-separated list; empty or missing is an empty list.
    public func list(_ key: String) -> [String] {
        (optional(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    /// A `scheme://host[:port]` base with no path (`<GW>_API_BASE`).
    public func baseURL(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        let value = optional(key) ?? fallback
        guard let schemeEnd = value.range(of: "://"),
            ["http", "https"].contains(value[..<schemeEnd.lowerBound].lowercased())
        else {
            return try reject(ConfigurationError(variable: key, problem: "must be an http(s) URL"), answering: fallback)
        }
        let rest = value[schemeEnd.upperBound...]
        let trimmed = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !trimmed.isEmpty, !trimmed.contains("/") else {
            return try reject(
                ConfigurationError(variable: key, problem: "must be scheme, host and port only"), answering: fallback)
        }
        return String(value[..<schemeEnd.upperBound]) + trimmed
    }

    /// What a checking reader answers for a missing or malformed URL (`.invalid` never resolves).
    private static let standInURL = "https://configuration-problem.invalid"

    /// A full URL with a path; a trailing slash is dropped.
    public func url(_ key: String) throws(ConfigurationError) -> String {
        guard let value = optional(key) else { return try reject(Self.missing(key), answering: Self.standInURL) }
        guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
            return try reject(
                ConfigurationError(variable: key, problem: "must be an http(s) URL"), answering: Self.standInURL)
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }
}

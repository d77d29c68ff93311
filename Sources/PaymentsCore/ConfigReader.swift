import Foundation
import Synchronization

/// Typed, validated access to configuration values; every failure names the variable (DESIGN §9).
///
/// It remembers which variables were asked for (`keysRead`), so `--check-config` can name the ones in the file that
/// nothing reads.
public struct ConfigReader: Sendable {
    public let values: [String: String]
    private let log = KeyLog()

    public init(_ values: [String: String]) { self.values = values }

    /// A non-empty value or nil; an empty value counts as missing.
    public func optional(_ key: String) -> String? {
        guard let value = value(key), !value.isEmpty else { return nil }
        return value
    }

    /// The value as written, empty included (`DB_PASSWORD` may be empty on purpose).
    public func value(_ key: String) -> String? {
        log.note(key)
        return values[key]
    }

    /// Every variable asked for so far, present or not.
    public var keysRead: Set<String> { log.keys }

    private final class KeyLog: Sendable {
        private let read = Mutex<Set<String>>([])
        func note(_ key: String) { _ = read.withLock { $0.insert(key) } }
        var keys: Set<String> { read.withLock { $0 } }
    }

    public func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = optional(key) else {
            throw ConfigurationError(variable: key, problem: "is required but missing")
        }
        return value
    }

    public func string(_ key: String, default fallback: String) -> String { optional(key) ?? fallback }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>? = nil) throws(ConfigurationError)
        -> Int
    {
        guard let text = optional(key) else { return fallback }
        guard let value = Int(text) else {
            throw ConfigurationError(variable: key, problem: "must be an integer, got '\(text)'")
        }
        if let range, !range.contains(value) {
            throw ConfigurationError(variable: key, problem: "must be within \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A finite decimal number; `nan`, `inf` and values beyond Double (`1e400`) are refused, naming the variable.
    public func double(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard let text = optional(key) else { return fallback }
        guard let value = Double(text), value.isFinite else {
            throw ConfigurationError(variable: key, problem: "must be a finite number, got '\(text)'")
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = optional(key) else { return fallback }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw ConfigurationError(variable: key, problem: "must be true/false/1/0")
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
        else { throw ConfigurationError(variable: key, problem: "must be an http(s) URL") }
        let rest = value[schemeEnd.upperBound...]
        let trimmed = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !trimmed.isEmpty, !trimmed.contains("/") else {
            throw ConfigurationError(variable: key, problem: "must be scheme, host and port only")
        }
        return String(value[..<schemeEnd.upperBound]) + trimmed
    }

    /// A full URL with a path; a trailing slash is dropped.
    public func url(_ key: String) throws(ConfigurationError) -> String {
        let value = try string(key)
        guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
            throw ConfigurationError(variable: key, problem: "must be an http(s) URL")
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }
}

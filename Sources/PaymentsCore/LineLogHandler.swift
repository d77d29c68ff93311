import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The executables' log handler: one line per event on standard error, as text or as one JSON object
/// (`LOG_FORMAT=json`), with a `<N>` syslog priority prefix when standard error is the journal (systemd sets
/// `JOURNAL_STREAM`), so that `journalctl -p err` selects by level.
///
/// Metadata attached to a logger is kept as values and rendered only when a line is written: the request pipeline
/// attaches the request id, gateway and event id to every request's logger, and at the usual levels most of those
/// loggers never write.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable {
        case text
        case json
    }

    public let label: String
    public let format: Format
    /// Prefix each line with its syslog priority (`<3>` for error, …), as journald reads it.
    public let priorityPrefix: Bool
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void

    /// - Parameters:
    ///   - write: receives each finished line, newline included (standard error by default).
    public init(
        label: String, format: Format, priorityPrefix: Bool,
        write: @escaping @Sendable (String) -> Void = LineLogHandler.standardError
    ) {
        self.label = label
        self.format = format
        self.priorityPrefix = priorityPrefix
        self.write = write
    }

    /// `LOG_FORMAT` (`text`, the default, or `json`).
    public static func format(_ config: ConfigReader) throws(ConfigurationError) -> Format {
        let text = config.string("LOG_FORMAT", default: "text").lowercased()
        guard let format = Format(rawValue: text) else {
            throw ConfigurationError(variable: "LOG_FORMAT", problem: "must be text or json")
        }
        return format
    }

    /// Whether standard error is connected to the journal: systemd sets `JOURNAL_STREAM` for such services.
    public static func stderrIsJournal(_ environment: [String: String]) -> Bool {
        !(environment["JOURNAL_STREAM"] ?? "").isEmpty
    }

    /// One `write(2)` per line (repeated only for what a short write left), so lines of different threads stay whole.
    public static let standardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, base + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        write(line(level: event.level, message: "\(event.message)", metadata: merged, source: event.source))
    }

    /// The line for one event, newline included.
    func line(level: Logger.Level, message: String, metadata: Logger.Metadata, source: String) -> String {
        let prefix = priorityPrefix ? "<\(Self.priority(level))>" : ""
        let time = Self.timestamp()
        switch format {
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            return "\(prefix)\(time) \(level) \(label):\(fields) [\(source)] \(message)\n"
        case .json:
            let object = JSONValue.object([
                ("time", .string(time)), ("level", .string(level.rawValue)), ("label", .string(label)),
                ("source", .string(source)), ("message", .string(message)),
                ("metadata", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, Self.json($0.value)) })),
            ])
            return "\(prefix)\(object.serialized())\n"
        }
    }

    /// syslog priorities as sd-daemon(3) names them: err 3, warning 4, notice 5, info 6, debug 7.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let values): .object(values.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
        }
    }

    /// UTC, to the millisecond: `2026-12-05T04:31:22.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = Int(now.tv_nsec / 1_000_000)
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}

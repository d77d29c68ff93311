/// A value bound to a `?` placeholder or read from a result column (binary protocol, no text conversion).
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    /// Text in the connection's character set (utf8mb4).
    case text(String)
    /// Raw bytes (BLOB / VARBINARY / binary-collated results).
    case bytes([UInt8])
    /// A DATETIME/TIMESTAMP as microseconds since the Unix epoch, read in the session time zone (UTC).
    case datetime(unixMicroseconds: Int64)
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue {
    /// `.text`, or `.null` for nil.
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// `.int`, or `.null` for nil.
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    /// `.int` from a platform integer.
    public init(_ value: Int) { self = .int(Int64(value)) }
}

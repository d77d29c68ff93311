/// One result row, read completely into Swift values so it outlives the statement that produced it.
///
/// Getters are typed and throw `MariaDBError` (code 0) on a NULL or a value of another kind, naming the column,
/// so a schema drift surfaces as an error instead of a wrong number.
public struct Row: Sendable {
    /// Column names (aliases) as the server reported them, shared by all rows of a result.
    public let columnNames: [String]
    public let values: [SQLValue]

    public init(columnNames: [String], values: [SQLValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The raw value at `index`, or `.null` when out of range.
    public subscript(index: Int) -> SQLValue { values.indices.contains(index) ? values[index] : .null }

    /// The value of the first column named `name`, or `.null` when there is none.
    public subscript(name: String) -> SQLValue {
        guard let index = columnNames.firstIndex(of: name) else { return .null }
        return self[index]
    }

    public func isNull(_ index: Int) -> Bool { self[index] == .null }

    /// An integer column; DECIMAL results with no fraction (e.g. `SUM`) are accepted as well.
    public func int64(_ index: Int) throws(MariaDBError) -> Int64 {
        guard let value = try optionalInt64(index) else { throw mismatch(index, expected: "an integer, got NULL") }
        return value
    }

    public func optionalInt64(_ index: Int) throws(MariaDBError) -> Int64? {
        switch self[index] {
        case .null: return nil
        case .int(let value): return value
        case .text(let text):
            let whole = text.hasSuffix(".0") ? String(text.dropLast(2)) : text
            if let value = Int64(whole) { return value }
            throw mismatch(index, expected: "an integer")
        default: throw mismatch(index, expected: "an integer")
        }
    }

    public func int(_ index: Int) throws(MariaDBError) -> Int { Int(try int64(index)) }

    public func bool(_ index: Int) throws(MariaDBError) -> Bool { try int64(index) != 0 }

    public func double(_ index: Int) throws(MariaDBError) -> Double {
        switch self[index] {
        case .double(let value): return value
        case .int(let value): return Double(value)
        case .text(let text):
            if let value = Double(text) { return value }
            throw mismatch(index, expected: "a number")
        default: throw mismatch(index, expected: "a number")
        }
    }

    /// A text column; binary columns are decoded as UTF-8 (invalid sequences are repaired).
    public func string(_ index: Int) throws(MariaDBError) -> String {
        guard let value = try optionalString(index) else { throw mismatch(index, expected: "text, got NULL") }
        return value
    }

    public func optionalString(_ index: Int) throws(MariaDBError) -> String? {
        switch self[index] {
        case .null: return nil
        case .text(let text): return text
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .int(let value): return String(value)
        default: throw mismatch(index, expected: "text")
        }
    }

    /// A BLOB/binary column; text columns yield their UTF-8 bytes.
    public func bytes(_ index: Int) throws(MariaDBError) -> [UInt8] {
        guard let value = try optionalBytes(index) else { throw mismatch(index, expected: "bytes, got NULL") }
        return value
    }

    public func optionalBytes(_ index: Int) throws(MariaDBError) -> [UInt8]? {
        switch self[index] {
        case .null: return nil
        case .bytes(let bytes): return bytes
        case .text(let text): return Array(text.utf8)
        default: throw mismatch(index, expected: "bytes")
        }
    }

    /// A DATETIME/TIMESTAMP column as whole Unix seconds (rounded down).
    public func unixSeconds(_ index: Int) throws(MariaDBError) -> Int64 {
        guard let value = try optionalUnixSeconds(index) else {
            throw mismatch(index, expected: "a datetime, got NULL")
        }
        return value
    }

    public func optionalUnixSeconds(_ index: Int) throws(MariaDBError) -> Int64? {
        switch self[index] {
        case .null: return nil
        case .datetime(let micros): return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        case .int(let value): return value
        default: throw mismatch(index, expected: "a datetime")
        }
    }

    private func mismatch(_ index: Int, expected: String) -> MariaDBError {
        let name = columnNames.indices.contains(index) ? columnNames[index] : "#\(index)"
        return MariaDBError(code: 0, message: "column \(name) is not \(expected)")
    }
}

import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore

/// Prints operator views as aligned text tables or as one JSON object (`--json`), times in UTC.
enum RecordPrinter {
    /// `{"<title>": [{column: value, …}, …], …}` with titles in snake case; times as unix seconds.
    static func json(_ sets: [RecordSet]) -> JSONValue {
        .object(
            sets.map { set in
                (
                    set.title.replacingOccurrences(of: " ", with: "_"),
                    .array(
                        set.rows.map { row in
                            .object(zip(set.columns, row).map { column, value in (column, json(value)) })
                        })
                )
            })
    }

    static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .int(let number): return .int(number)
        case .double(let number): return .number(String(number))
        case .text(let text): return .string(text)
        case .bytes(let bytes): return .string(String(decoding: bytes, as: UTF8.self))
        case .datetime(let micros): return .int(micros / 1_000_000)
        }
    }

    /// Each set under its title, columns padded to their widest cell (cells cut at 60 characters).
    static func text(_ sets: [RecordSet]) -> String {
        var out = ""
        for set in sets {
            out += "\(set.title) (\(set.rows.count)):\n"
            guard !set.rows.isEmpty else { continue }
            let cells = set.rows.map { row in row.map(cell) }
            let widths = set.columns.indices.map { index in
                cells.reduce(set.columns[index].count) { max($0, $1.indices.contains(index) ? $1[index].count : 0) }
            }
            out += "  " + line(set.columns, widths) + "\n"
            for row in cells { out += "  " + line(row, widths) + "\n" }
        }
        return out
    }

    static func cell(_ value: SQLValue) -> String {
        let text: String
        switch value {
        case .null: text = "-"
        case .int(let number): text = String(number)
        case .double(let number): text = String(number)
        case .text(let value): text = value
        case .bytes(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .datetime(let micros): text = utc(micros / 1_000_000)
        }
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 60 ? String(flat.prefix(59)) + "…" : flat
    }

    /// `2026-12-05 03:20:11` (UTC).
    static func utc(_ unixSeconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    private static func line(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

import MariaDB

/// A titled table of rows as the database returned them, for operator views (`payments-sync show`), printed as a
/// table or as JSON without a model type per query.
public struct RecordSet: Sendable {
    public let title: String
    public let columns: [String]
    public let rows: [[SQLValue]]

    public init(title: String, columns: [String], rows: [[SQLValue]]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }

    init(title: String, columns: [String], rows: [Row]) {
        self.init(title: title, columns: columns, rows: rows.map(\.values))
    }
}

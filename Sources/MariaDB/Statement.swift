import CMariaDB

/// A server-side prepared statement (binary protocol), cached per connection by its SQL text.
///
/// Values are bound to `?` placeholders, never spliced into the text, so no value can change the statement and
/// none reaches an error description. Not Sendable: it belongs to its connection's thread.
public final class Statement {
    /// How a result column is fetched into Swift.
    enum ColumnKind {
        case integer(unsigned: Bool)
        case double
        case datetime
        case text
        case binary
    }

    /// The SQL text with `?` placeholders.
    public let sql: String
    public let parameterCount: Int
    /// Result column names; empty for statements without a result set.
    public private(set) var columnNames: [String] = []

    let handle: ConnectionHandle
    let stmt: UnsafeMutablePointer<MYSQL_STMT>
    private(set) var kinds: [ColumnKind] = []
    /// Result buffers reused across executions: one MYSQL_BIND, NULL flag, length and buffer per column.
    private(set) var resultBinds: UnsafeMutablePointer<MYSQL_BIND>
    private(set) var nullFlags: UnsafeMutablePointer<my_bool>
    private(set) var lengths: UnsafeMutablePointer<UInt>
    var buffers: [UnsafeMutableRawPointer] = []
    var capacities: [Int] = []
    /// Parameter binds and value storage reused across executions.
    let parameters: ParameterBuffers

    /// Largest size a variable-length result buffer grows to; longer values are fetched in one extra call.
    static let maximumReusedBuffer = 64 * 1024

    init(handle: ConnectionHandle, sql: String) throws(MariaDBError) {
        let mysql = try handle.pointer(statement: sql)
        guard let stmt = mysql_stmt_init(mysql) else { throw handle.lastError(statement: sql) }
        let prepared = sql.withCString { text in mysql_stmt_prepare(stmt, text, UInt(sql.utf8.count)) }
        if prepared != 0 {
            let error = Statement.error(of: stmt, statement: sql)
            mysql_stmt_close(stmt)
            throw error
        }
        self.sql = sql
        self.handle = handle
        self.stmt = stmt
        self.parameterCount = Int(mysql_stmt_param_count(stmt))
        parameters = ParameterBuffers(parameterCount: parameterCount)

        resultBinds = .allocate(capacity: 1)
        resultBinds.initialize(to: MYSQL_BIND())
        nullFlags = .allocate(capacity: 1)
        nullFlags.initialize(to: 0)
        lengths = .allocate(capacity: 1)
        lengths.initialize(to: 0)
        loadColumns()
    }

    /// Reads the result-set metadata and sizes the reusable result buffers to it.
    ///
    /// Called after PREPARE and again after EXECUTE when the column count changed: `INSERT … RETURNING` reports
    /// its columns only once executed.
    func loadColumns() {
        var names: [String] = []
        var kinds: [ColumnKind] = []
        if let metadata = mysql_stmt_result_metadata(stmt) {
            let count = Int(mysql_num_fields(metadata))
            if let fields = mysql_fetch_fields(metadata) {
                for index in 0..<count {
                    let field = fields[index]
                    names.append(field.name.map { String(cString: $0) } ?? "")
                    kinds.append(Statement.kind(of: field))
                }
            }
            mysql_free_result(metadata)
        }
        for buffer in buffers { buffer.deallocate() }
        resultBinds.deallocate()
        nullFlags.deallocate()
        lengths.deallocate()
        let count = max(kinds.count, 1)
        columnNames = names
        self.kinds = kinds
        resultBinds = .allocate(capacity: count)
        resultBinds.initialize(repeating: MYSQL_BIND(), count: count)
        nullFlags = .allocate(capacity: count)
        nullFlags.initialize(repeating: 0, count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        capacities = kinds.map { kind in
            switch kind {
            case .integer, .double: return MemoryLayout<Int64>.size
            case .datetime: return MemoryLayout<MYSQL_TIME>.size
            case .text, .binary: return 256
            }
        }
        buffers = capacities.map { UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: 16) }
    }

    deinit {
        mysql_stmt_close(stmt)
        for buffer in buffers { buffer.deallocate() }
        resultBinds.deallocate()
        nullFlags.deallocate()
        lengths.deallocate()
    }

    /// Runs a statement without a result set (INSERT, UPDATE, DELETE, …).
    /// - Throws: `MariaDBError` from the server or the client library.
    public func execute(_ binds: [SQLValue] = []) throws(MariaDBError) -> ExecuteResult {
        try bindAndExecute(binds)
        if !kinds.isEmpty {
            // A result set nobody asked for still has to be drained before the connection can be reused.
            _ = try readRows()
        }
        return ExecuteResult(
            affectedRows: Int(truncatingIfNeeded: Int64(bitPattern: UInt64(mysql_stmt_affected_rows(stmt)))),
            lastInsertID: Int64(truncatingIfNeeded: mysql_stmt_insert_id(stmt)))
    }

    /// Runs a statement and reads its whole result set.
    /// - Throws: `MariaDBError` from the server or the client library.
    public func query(_ binds: [SQLValue] = []) throws(MariaDBError) -> [Row] {
        try bindAndExecute(binds)
        return try readRows()
    }

    /// Runs a `CALL` of a stored procedure: returns its first result set and reads past the others and the
    /// procedure's final status, so the connection is ready for the next statement.
    /// - Throws: `MariaDBError` from the server (an error the procedure raises or resignals) or the client library.
    public func call(_ binds: [SQLValue] = []) throws(MariaDBError) -> [Row] {
        try bindAndExecute(binds)
        let rows = try readRows()
        while mysql_stmt_more_results(stmt) != 0 {
            let next = mysql_stmt_next_result(stmt)
            if next > 0 { throw Statement.error(of: stmt, statement: sql) }
            if next < 0 { break }
            if mysql_stmt_field_count(stmt) > 0 {
                // Only the first result set is the procedure's answer; drain any other without keeping it.
                if mysql_stmt_store_result(stmt) != 0 { throw Statement.error(of: stmt, statement: sql) }
                mysql_stmt_free_result(stmt)
            }
        }
        return rows
    }

    /// The statement's last error, read at once.
    static func error(of stmt: UnsafeMutablePointer<MYSQL_STMT>, statement: String) -> MariaDBError {
        MariaDBError(
            code: mysql_stmt_errno(stmt), sqlState: String(cString: mysql_stmt_sqlstate(stmt)),
            message: String(cString: mysql_stmt_error(stmt)), statement: statement)
    }

    private static func kind(of field: MYSQL_FIELD) -> ColumnKind {
        let binaryCharset: UInt32 = 63
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            return .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            return .double
        case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE:
            return .datetime
        case MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            return .binary
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
            MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR:
            return field.charsetnr == binaryCharset ? .binary : .text
        default:
            // DECIMAL, TIME, ENUM, SET, JSON and NULL columns arrive as text.
            return .text
        }
    }
}

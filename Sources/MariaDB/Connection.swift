import CMariaDB

/// One MariaDB connection with its prepared-statement cache; owned and used by a single thread.
///
/// The session runs READ COMMITTED in UTC with utf8mb4. `MYSQL_OPT_RECONNECT` stays off: an automatic reconnect
/// would silently drop an open transaction, so a lost connection surfaces as an error (`isConnectionLost`) and
/// the owner opens a new `Connection`.
public final class Connection {
    public let options: ConnectionOptions
    /// The server's id for this session (`CONNECTION_ID()`), e.g. for `KILL`.
    public let connectionID: Int64
    /// Set once an error showed that the connection is gone; the owner should drop it.
    public private(set) var isBroken = false

    let handle: ConnectionHandle
    private var statements: [String: Statement] = [:]
    /// More distinct statements than this means SQL is built dynamically; the cache is then started afresh.
    private static let statementCacheLimit = 256

    /// Connects and prepares the session.
    /// - Throws: `MariaDBError` (2002/2003 when the server cannot be reached, 1045 on bad credentials, …).
    public init(options: ConnectionOptions) throws(MariaDBError) {
        self.options = options
        guard let mysql = mysql_init(nil) else { throw MariaDBError(code: 2008, message: "mysql_init: out of memory") }
        let handle = ConnectionHandle(mysql)
        Connection.setOptions(mysql, options)
        let database: String? = options.database.isEmpty ? nil : options.database
        let connected: Bool
        switch options.endpoint {
        case .socket(let path):
            connected =
                path.withCString { socket in
                    mysql_real_connect(mysql, "localhost", options.user, options.password, database, 0, socket, 0)
                } != nil
        case .tcp(let host, let port):
            var protocolTCP = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
            mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocolTCP)
            connected =
                mysql_real_connect(
                    mysql, host, options.user, options.password, database, UInt32(clamping: port), nil, 0) != nil
        }
        guard connected else { throw handle.lastError(statement: nil) }
        self.handle = handle
        self.connectionID = Int64(mysql_thread_id(mysql))
        try executeText("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        try executeText(
            "SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = \(max(1, options.lockWaitTimeoutSeconds)), "
                + "sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
    }

    private static func setOptions(_ mysql: UnsafeMutablePointer<MYSQL>, _ options: ConnectionOptions) {
        var connectTimeout = UInt32(clamping: max(1, options.connectTimeoutSeconds))
        var readTimeout = UInt32(clamping: max(1, options.readTimeoutSeconds))
        var writeTimeout = UInt32(clamping: max(1, options.writeTimeoutSeconds))
        var reconnect: my_bool = 0
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect)
        _ = "utf8mb4".withCString { mysql_options(mysql, MYSQL_SET_CHARSET_NAME, $0) }
    }

    /// Closes the connection and its statements; later calls fail with a "gone away" error.
    public func close() {
        statements.removeAll()
        handle.close()
        isBroken = true
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    /// - Throws: `MariaDBError` when the server rejects the text.
    public func statement(_ sql: String) throws(MariaDBError) -> Statement {
        if let cached = statements[sql] { return cached }
        let prepared: Statement
        do {
            prepared = try Statement(handle: handle, sql: sql)
        } catch {
            throw noting(error)
        }
        if statements.count >= Connection.statementCacheLimit { statements.removeAll() }
        statements[sql] = prepared
        return prepared
    }

    /// Runs `sql` (with `?` placeholders for `binds`) that returns no rows.
    /// - Throws: `MariaDBError`; `isDuplicateKey`, `isDeadlock` and `isConnectionLost` classify it.
    @discardableResult
    public func execute(_ sql: String, _ binds: [SQLValue] = []) throws(MariaDBError) -> ExecuteResult {
        let statement = try statement(sql)
        do {
            return try statement.execute(binds)
        } catch {
            throw noting(error, statement: sql, returnsRows: !statement.kinds.isEmpty)
        }
    }

    /// Runs `sql` and returns all its rows.
    /// - Throws: `MariaDBError`.
    public func query(_ sql: String, _ binds: [SQLValue] = []) throws(MariaDBError) -> [Row] {
        let statement = try statement(sql)
        do {
            return try statement.query(binds)
        } catch {
            throw noting(error, statement: sql, returnsRows: true)
        }
    }

    /// Runs a `CALL` (with `?` placeholders for `binds`) and returns the rows of its first result set.
    /// - Throws: `MariaDBError`, including what the procedure raises.
    public func call(_ sql: String, _ binds: [SQLValue] = []) throws(MariaDBError) -> [Row] {
        let statement = try statement(sql)
        do {
            return try statement.call(binds)
        } catch {
            throw noting(error, statement: sql, returnsRows: true)
        }
    }

    /// The first row of `sql`, or nil when it returns none.
    public func queryOne(_ sql: String, _ binds: [SQLValue] = []) throws(MariaDBError) -> Row? {
        try query(sql, binds).first
    }

    /// Runs one statement through the text protocol and discards any result (DDL, SET, transaction control).
    /// - Throws: `MariaDBError`.
    public func executeText(_ sql: String) throws(MariaDBError) {
        let mysql = try handle.pointer(statement: sql)
        let status = sql.withCString { mysql_real_query(mysql, $0, UInt(sql.utf8.count)) }
        if status != 0 { throw noting(handle.lastError(statement: sql)) }
        if let result = mysql_store_result(mysql) {
            mysql_free_result(result)
        } else if mysql_field_count(mysql) != 0 {
            throw noting(handle.lastError(statement: sql))
        }
    }

    /// `START TRANSACTION`.
    public func begin() throws(MariaDBError) { try executeText("START TRANSACTION") }

    /// `COMMIT`. A connection-lost error here means the outcome is unknown.
    public func commit() throws(MariaDBError) { try executeText("COMMIT") }

    /// `ROLLBACK`.
    public func rollback() throws(MariaDBError) { try executeText("ROLLBACK") }

    /// A round trip to the server (`mysql_ping`), without reconnecting.
    /// - Throws: `MariaDBError` when the server does not answer.
    public func ping() throws(MariaDBError) {
        let mysql = try handle.pointer()
        if mysql_ping(mysql) != 0 { throw noting(handle.lastError(statement: nil)) }
    }

    /// The server's version text.
    public var serverVersion: String {
        guard let mysql = handle.mysql, let text = mysql_get_server_info(mysql) else { return "unknown" }
        return String(cString: text)
    }

    /// Marks the connection broken when `error` says it is gone (its statements are then useless too); a statement
    /// the error may have left mid-protocol is prepared afresh next time.
    ///
    /// Mid-protocol: after a client-side failure, or after any error of a statement with a result set. A server
    /// error that arrives where the rows would (a lock-wait timeout or deadlock in `SELECT … FOR UPDATE` over a
    /// range, a duplicate key in `INSERT … RETURNING`) leaves libmariadb's statement expecting rows, and its next
    /// execute first waits for them: until the read timeout, with the transaction's locks held meanwhile.
    private func noting(_ error: MariaDBError, statement: String? = nil, returnsRows: Bool = false) -> MariaDBError {
        if error.isConnectionLost {
            isBroken = true
            statements.removeAll()
        } else if let statement, returnsRows || (error.code >= 2000 && error.code < 3000) {
            statements[statement] = nil
        }
        return error
    }
}

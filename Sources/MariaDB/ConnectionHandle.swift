import CMariaDB

/// Owns the `MYSQL*` of one connection; statements keep it alive so it is closed only after all of them.
///
/// Not Sendable: libmariadb connections must not be used by two threads at once.
final class ConnectionHandle {
    private(set) var mysql: UnsafeMutablePointer<MYSQL>?

    init(_ mysql: UnsafeMutablePointer<MYSQL>) { self.mysql = mysql }

    /// The connection, or a "gone away" error once it has been closed.
    func pointer(statement: String? = nil) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL> {
        guard let mysql else {
            throw MariaDBError(code: 2006, message: "connection is closed", statement: statement)
        }
        return mysql
    }

    /// The last error of the connection, read at once (before any other call can overwrite it).
    func lastError(statement: String?) -> MariaDBError {
        guard let mysql else { return MariaDBError(code: 2006, message: "connection is closed", statement: statement) }
        return MariaDBError(
            code: mysql_errno(mysql), sqlState: String(cString: mysql_sqlstate(mysql)),
            message: String(cString: mysql_error(mysql)), statement: statement)
    }

    func close() {
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    deinit { close() }
}

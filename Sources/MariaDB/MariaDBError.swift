/// An error reported by libmariadb or the server, or a wrapper-side misuse (code 0).
///
/// The description names the error code, SQLSTATE and the statement text, never bind values; server messages
/// that echo row data (duplicate entries, bad values) are kept out of it and only in `serverMessage`.
public struct MariaDBError: Error, Sendable, CustomStringConvertible {
    /// `mysql_errno` / `mysql_stmt_errno`: server errors are 1000–1999 and 3000+, client errors 2000–2999; 0 for
    /// errors the wrapper detects itself (wrong bind count, a NULL read as a number, …).
    public let code: UInt32
    /// The five-character SQLSTATE (`HY000` when none applies).
    public let sqlState: String
    /// The text from libmariadb or the server; it may quote row data, so it is not part of `description`.
    public let serverMessage: String
    /// The SQL text (with `?` placeholders) that failed, if any.
    public let statement: String?

    public init(code: UInt32, sqlState: String = "HY000", message: String, statement: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.serverMessage = message
        self.statement = statement
    }

    /// The connection is gone or was never made (2002/2003 cannot connect, 2006 gone away, 2013 lost during a
    /// query, 2055 lost at handshake, 1927 killed, 1053 server shutdown): drop it and reconnect later.
    public var isConnectionLost: Bool {
        switch code {
        case 2002, 2003, 2006, 2013, 2055, 1927, 1053: return true
        default: return false
        }
    }

    /// A deadlock (1213) or lock-wait timeout (1205): roll back and retry the whole transaction.
    public var isDeadlock: Bool { code == 1213 || code == 1205 }

    /// A Galera node that cannot serve (1047 "WSREP has not yet prepared node for application use": it left the
    /// primary component, is still joining, or rejects queries): the statement was refused before it ran, and
    /// another node may serve it. Statements that touch no table (`SELECT 1`, a ping) still succeed on such a node.
    public var isNodeNotReady: Bool { code == 1047 }

    /// The server failed the COMMIT itself (1180 ER_ERROR_DURING_COMMIT); Galera answers it when a commit cannot be
    /// replicated (the node lost the primary component while committing), when whether the cluster applied it is
    /// not knowable here.
    public var isFailedCommit: Bool { code == 1180 }

    /// A unique key rejected the row (1062 ER_DUP_ENTRY).
    public var isDuplicateKey: Bool { code == 1062 }

    /// Codes whose server message quotes the offending values (bind data) and so is left out of `description`.
    private static let dataEchoingCodes: Set<UInt32> = [1062, 1264, 1265, 1292, 1366, 1406, 1452, 1451, 1586]

    public var description: String {
        var text = "MariaDB error \(code) (\(sqlState))"
        if !Self.dataEchoingCodes.contains(code) && !serverMessage.isEmpty { text += ": \(serverMessage)" }
        if let statement { text += " in statement: \(statement)" }
        return text
    }
}

import Logging
import MariaDB
import PaymentsCore

#if canImport(Glibc)
    import Glibc
#endif

/// A lazily opened connection plus the error policy every store shares (DESIGN §12).
///
/// A lost connection is dropped and reported as `.unavailable` (the next call reconnects); a COMMIT that loses
/// the connection, or that the server fails (1180), is `.unknownOutcome` and never replayed; deadlocks and
/// lock-wait timeouts roll back and rerun the whole transaction up to three times, then answer `.unavailable`.
///
/// Under Galera a certification conflict is a 1213 as well: at COMMIT, or on any later statement of a transaction
/// that a replicated write aborted (brute-force abort). Either way the server already rolled the whole transaction
/// back, so the rerun starts from `START TRANSACTION`, never from the COMMIT. A node that is not ready (1047) is
/// `.unavailable` and its connection is dropped, so the next call reconnects, through HAProxy to a node that is.
/// Not Sendable: one thread uses it at a time.
final class DatabaseSession {
    let options: ConnectionOptions
    let logger: Logger?
    private var current: Connection?
    /// When the connection last served a call (monotonic seconds), to spot one the server may have closed.
    private var lastUsed: Double = 0
    /// A connection idle longer than this is pinged before use, so a server-side idle timeout (`wait_timeout`)
    /// costs a reconnect instead of a 503.
    static let idlePingSeconds: Double = 10
    /// A deadlock or lock-wait timeout is retried this many times after the first attempt.
    static let deadlockRetries = 3

    init(options: ConnectionOptions, logger: Logger?) {
        self.options = options
        self.logger = logger
    }

    init(connection: Connection, logger: Logger?) {
        self.options = connection.options
        self.logger = logger
        self.current = connection
    }

    /// The open connection, connecting first when there is none.
    func connection() throws(LedgerError) -> Connection {
        let now = DatabaseSession.monotonicSeconds()
        defer { lastUsed = now }
        if let current, !current.isBroken {
            guard now - lastUsed > Self.idlePingSeconds else { return current }
            // No transaction is open here, so a connection found dead can be replaced safely.
            if (try? current.ping()) != nil { return current }
            drop()
        }
        current = nil
        do {
            let connection = try Connection(options: options)
            current = connection
            return connection
        } catch {
            throw LedgerError(.unavailable, "cannot connect to MariaDB: \(error)", cause: error)
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Closes the connection; the next call opens a new one.
    func drop() {
        current?.close()
        current = nil
    }

    /// The server id of the open connection, if any (tests kill it to simulate a lost connection).
    var connectionID: Int64? { current?.connectionID }

    /// Runs `body` in autocommit mode, mapping database errors; a deadlock or certification conflict (1213, 1205)
    /// reruns it.
    ///
    /// Each statement of `body` commits on its own, and the one that failed changed nothing, so a rerun is safe only
    /// because every body here is one write, reads, or writes whose `WHERE` makes a second run change nothing more
    /// (claim tokens, states): a body that needs its statements to commit together belongs in `transaction`.
    @discardableResult
    func run<Value>(_ body: (Connection) throws -> Value) throws(LedgerError) -> Value {
        try rerunningDeadlocks("statement", outcomeUnknownOnLoss: false, body)
    }

    /// Runs `body` in one transaction, retrying it after deadlocks and lock-wait timeouts.
    func transaction<Value>(_ body: (Connection) throws -> TransactionEnd<Value>) throws(LedgerError) -> Value {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try connection()
            let end: TransactionEnd<Value>
            do {
                try connection.begin()
                end = try body(connection)
            } catch let error as MariaDBError where error.isDeadlock && attempt <= Self.deadlockRetries {
                logger?.debug(
                    "retrying transaction", metadata: ["db.error.code": "\(error.code)", "db.attempt": "\(attempt)"])
                rollbackQuietly(connection)
                pause(attempt: attempt)
                continue
            } catch {
                rollbackQuietly(connection)
                throw mapped(error)
            }
            switch end {
            case .rollback(let value):
                do {
                    try connection.rollback()
                } catch {
                    throw mapped(error)
                }
                return value
            case .commit(let value):
                do {
                    try connection.commit()
                    return value
                } catch let error where error.isConnectionLost || error.isFailedCommit {
                    logger?.warning(
                        "MariaDB COMMIT outcome unknown", metadata: ["db.error.code": "\(error.code)"])
                    drop()
                    throw LedgerError(.unknownOutcome, "COMMIT outcome unknown: \(error)", cause: error)
                } catch let error where error.isDeadlock && attempt <= Self.deadlockRetries {
                    // Galera reports certification conflicts as 1213 at COMMIT; the transaction is already undone.
                    rollbackQuietly(connection)
                    pause(attempt: attempt)
                    continue
                } catch {
                    rollbackQuietly(connection)
                    throw mapped(error)
                }
            }
        }
    }

    /// Runs `body`, which calls a stored procedure that is a whole transaction (it commits or rolls back inside),
    /// retrying it after deadlocks and lock-wait timeouts (the procedure rolled back before the error reached us).
    ///
    /// A connection lost while the call was in flight is `.unknownOutcome` (the procedure may have committed; the
    /// retry goes through the unique keys); one that was gone before the call was sent (2006) is `.unavailable`.
    func procedure<Value>(_ body: (Connection) throws -> Value) throws(LedgerError) -> Value {
        try rerunningDeadlocks("procedure", outcomeUnknownOnLoss: true, body)
    }

    /// Runs `body`, rerunning it after deadlocks and lock-wait timeouts (what it ran was rolled back); with
    /// `outcomeUnknownOnLoss`, a connection lost while a statement was in flight (not 2006: gone before it was sent)
    /// is `.unknownOutcome`.
    private func rerunningDeadlocks<Value>(
        _ what: String, outcomeUnknownOnLoss: Bool, _ body: (Connection) throws -> Value
    ) throws(LedgerError) -> Value {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try connection()
            do {
                return try body(connection)
            } catch let error as MariaDBError where error.isDeadlock && attempt <= Self.deadlockRetries {
                logger?.debug(
                    "retrying \(what)", metadata: ["db.error.code": "\(error.code)", "db.attempt": "\(attempt)"])
                pause(attempt: attempt)
            } catch let error as MariaDBError
                where outcomeUnknownOnLoss && error.isConnectionLost && error.code != 2006
            {
                logger?.warning(
                    "MariaDB connection lost during a transaction's call", metadata: ["db.error.code": "\(error.code)"])
                drop()
                throw LedgerError(.unknownOutcome, "\(what) outcome unknown: \(error)", cause: error)
            } catch {
                throw mapped(error)
            }
        }
    }

    /// Converts any error from a body into a `LedgerError`, dropping a connection that is gone.
    func mapped(_ error: any Error) -> LedgerError {
        if let ledgerError = error as? LedgerError { return ledgerError }
        if let database = error as? MariaDBError {
            if database.isConnectionLost || database.isNodeNotReady {
                // A Galera node that is not ready refuses every statement on this connection; a new one goes through
                // HAProxy to a node that is.
                let what = database.isNodeNotReady ? "node not ready" : "connection lost"
                logger?.warning(
                    "MariaDB \(what); reconnecting on the next call", metadata: ["db.error.code": "\(database.code)"])
                drop()
                return LedgerError(.unavailable, "MariaDB \(what): \(database)", cause: database)
            }
            if database.isFailedCommit {
                // An autocommit statement's or a procedure's own COMMIT: whether the cluster applied it is unknown.
                drop()
                return LedgerError(.unknownOutcome, "commit outcome unknown: \(database)", cause: database)
            }
            if database.isDeadlock {
                // Still conflicting after every rerun (a hot row, or Galera certification): retryable, not a fault.
                return LedgerError(.unavailable, "still deadlocked after reruns: \(database)", cause: database)
            }
            return LedgerError(.failed, database.description, cause: database)
        }
        return LedgerError(.failed, "\(error)", cause: error)
    }

    private func rollbackQuietly(_ connection: Connection) {
        do {
            try connection.rollback()
        } catch {
            if error.isConnectionLost { drop() }
        }
    }

    /// A short random pause so two transactions that deadlocked do not collide again at once.
    private func pause(attempt: Int) {
        let micros = UInt32.random(in: 2_000...20_000) * UInt32(attempt)
        usleep(micros)
    }
}

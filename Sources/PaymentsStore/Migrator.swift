import Logging
import MariaDB
import PaymentsCore

/// Applies `sql/NNNN_title.sql` files in order and checks that a database matches them (DESIGN §6).
///
/// Each applied file is recorded in `schema_migrations` with the hex SHA-256 of its bytes (computed by the server's
/// `SHA2`, so this target needs no crypto library). `migrate` runs under `MigrationLock`, a lease row that holds
/// across Galera nodes as well as on one server, so parallel starts apply each file once; `check` is what the
/// responder runs before serving.
public final class Migrator {
    private let database: DatabaseSession
    private let directory: String
    private let logger: Logger?
    private let lockWaitSeconds: Double

    /// - Parameters:
    ///   - configuration: the database to migrate; connected on first use.
    ///   - directory: the folder holding the `.sql` files.
    ///   - logger: receives one info line per applied version.
    ///   - lockWaitSeconds: how long `migrate` waits for another migrate's lease (30 s, as `GET_LOCK` waited).
    public init(
        configuration: DatabaseConfiguration, directory: String, logger: Logger? = nil,
        lockWaitSeconds: Double = 30
    ) {
        self.database = DatabaseSession(options: configuration.connectionOptions, logger: logger)
        self.directory = directory
        self.logger = logger
        self.lockWaitSeconds = lockWaitSeconds
    }

    /// Uses an open connection (tests, or a caller that already has one).
    public init(connection: Connection, directory: String, logger: Logger? = nil) {
        self.database = DatabaseSession(connection: connection, logger: logger)
        self.directory = directory
        self.logger = logger
        self.lockWaitSeconds = 30
    }

    /// Applies every pending file in version order; applied files must still match their checksums.
    /// - Returns: the versions applied now (empty when the schema was current).
    /// - Throws: `MigrationError` naming the version that failed, changed, or the lock that timed out.
    @discardableResult
    public func migrate() throws(MigrationError) -> [String] {
        let files = try MigrationFile.load(directory: directory)
        let connection = try databaseConnection()
        let lock = MigrationLock(waitSeconds: lockWaitSeconds)
        do {
            try MigrationLock.bootstrap(connection)
            try Self.readCausally(connection)
        } catch {
            throw MigrationError(.database, "cannot prepare the migration lock: \(error)")
        }
        try lock.acquire(connection)
        defer { lock.release(connection) }

        let applied = try appliedChecksums(connection)
        var appliedNow: [String] = []
        for file in files {
            let checksum = try checksum(of: file, connection)
            if let stored = applied[file.version] {
                guard stored == checksum else { throw Self.changed(file) }
                continue
            }
            try lock.renew(connection)
            do {
                // Under Galera each DDL statement runs as total order isolation: replicated to every node and
                // committed there on its own, never as part of a transaction. A migrate that dies half-way
                // through a file leaves its finished statements applied on every node and the file unrecorded,
                // exactly as on one server (MariaDB's DDL is not transactional either): the next migrate runs
                // the file again from its first statement, so files create with IF NOT EXISTS and an operator
                // finishes a file that cannot be rerun by hand.
                for statement in file.statements { try connection.executeText(statement) }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
                    [.text(file.version), .text(checksum)])
            } catch {
                throw MigrationError(.database, version: file.version, "\(file.name) failed: \(error)")
            }
            logger?.info(
                "applied migration",
                metadata: ["migration.version": "\(file.version)", "migration.file": "\(file.name)"])
            appliedNow.append(file.version)
        }
        return appliedNow
    }

    /// Verifies that every file is applied with an unchanged checksum; the responder refuses to start otherwise.
    /// - Throws: `MigrationError` naming the first missing version or the version whose checksum differs.
    public func check() throws(MigrationError) {
        let files = try MigrationFile.load(directory: directory)
        let connection = try databaseConnection()
        let applied = try appliedChecksums(connection)
        for file in files {
            guard let stored = applied[file.version] else {
                throw MigrationError(.notApplied, version: file.version, "\(file.name) is not applied (run migrate)")
            }
            guard stored == (try checksum(of: file, connection)) else { throw Self.changed(file) }
        }
    }

    /// Every file with its state (applied, pending or changed) and checksum, in version order; versions recorded
    /// in the database without a file are not listed (forward-only: files are never removed).
    public func status() throws(MigrationError) -> [MigrationStatus] {
        let files = try MigrationFile.load(directory: directory)
        let connection = try databaseConnection()
        let applied = try appliedChecksums(connection)
        var times: [String: Int64] = [:]
        if !applied.isEmpty {
            do {
                for row in try connection.query("SELECT version, applied_at FROM schema_migrations") {
                    times[try row.string(0)] = try row.unixSeconds(1)
                }
            } catch {
                throw MigrationError(.database, "cannot read schema_migrations: \(database.mapped(error))")
            }
        }
        var result: [MigrationStatus] = []
        for file in files {
            let checksum = try checksum(of: file, connection)
            let state: MigrationStatus.State =
                switch applied[file.version] {
                case nil: .pending
                case checksum: .applied
                default: .changed
                }
            result.append(
                MigrationStatus(
                    version: file.version, file: file.name, checksum: checksum, state: state,
                    appliedAt: times[file.version]))
        }
        return result
    }

    /// On a Galera node, makes this session's reads wait until the node has applied every write the cluster
    /// committed before them (`wsrep_sync_wait = 1`), so `schema_migrations` is read as it stands cluster-wide
    /// once the lease is held, even when the lease was taken over from a migrate that died on another node.
    private static func readCausally(_ connection: Connection) throws(MariaDBError) {
        let wsrep = try connection.queryOne(
            "SELECT VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = 'WSREP_ON'")
        guard try wsrep?.optionalString(0) == "ON" else { return }
        try connection.executeText("SET SESSION wsrep_sync_wait = 1")
    }

    private static func changed(_ file: MigrationFile) -> MigrationError {
        MigrationError(
            .checksumMismatch, version: file.version, "\(file.name) differs from the applied version (checksum)")
    }

    private func databaseConnection() throws(MigrationError) -> Connection {
        do {
            return try database.connection()
        } catch {
            throw MigrationError(.database, "\(error)")
        }
    }

    /// version → checksum of what is applied; empty before `schema_migrations` exists.
    private func appliedChecksums(_ connection: Connection) throws(MigrationError) -> [String: String] {
        do {
            let exists = try connection.queryOne(
                """
                SELECT COUNT(*) FROM information_schema.TABLES \
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'
                """)
            guard try exists?.int(0) == 1 else { return [:] }
            var result: [String: String] = [:]
            for row in try connection.query("SELECT version, checksum FROM schema_migrations") {
                result[try row.string(0)] = try row.string(1)
            }
            return result
        } catch {
            throw MigrationError(.database, "cannot read schema_migrations: \(database.mapped(error))")
        }
    }

    /// Lowercase hex SHA-256 of the file's bytes, computed by the server.
    private func checksum(of file: MigrationFile, _ connection: Connection) throws(MigrationError) -> String {
        do {
            guard let row = try connection.queryOne("SELECT SHA2(?, 256)", [.bytes(file.bytes)]) else {
                throw MigrationError(.database, version: file.version, "SHA2 returned no row")
            }
            return try row.string(0).lowercased()
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(.database, version: file.version, "cannot checksum \(file.name): \(error)")
        }
    }
}

import MariaDB

#if canImport(Glibc)
    import Glibc
#endif

/// The lease `payments-sync migrate` holds while it applies files: one row of `schema_migration_lock`, so two
/// migrates at once apply each file once, on one server and across the nodes of a Galera cluster alike.
///
/// `GET_LOCK` cannot do this under Galera: MariaDB 10.6.13/10.11.3 refuse it there (error 1235, MDEV-30473) and
/// later releases allow it again but keep the lock on one node, so a migrate through another node takes "the same"
/// lock at once. A row is cluster-wide: the lease is taken by one autocommit `INSERT … ON DUPLICATE KEY UPDATE` on
/// the row's primary key, which InnoDB serialises on one server and Galera's certification serialises across nodes
/// (of two nodes writing the row at once, the later in the cluster's total order fails with 1213 and is retried
/// here, by which time it reads the winner's row). The row names its owner (a random token), who holds it (host
/// and pid, for the message) and when the lease ends, so a migrate that died releases it by expiry.
///
/// The table is the migrator's own bootstrap, like `schema_migrations` is the first file's: it has to exist before
/// the lock guards the first file, so it cannot be a migration file itself (`CREATE TABLE IF NOT EXISTS` is safe to
/// run by two migrates at once; Galera runs DDL in total order on every node).
struct MigrationLock {
    static let table = "schema_migration_lock"
    static let name = "migrate"
    /// How long a lease lasts. It is renewed before each file, so only one file running longer than this (a long
    /// `ALTER TABLE`) could let a second migrate in; the first then stops at its next renewal, and the file is
    /// recorded once (`schema_migrations`' primary key refuses a second record).
    static let leaseSeconds = 600
    static let pollMicroseconds: UInt32 = 200_000

    let owner: String
    let holder: String
    let waitSeconds: Double

    init(waitSeconds: Double) {
        self.waitSeconds = waitSeconds
        owner = UUIDv4.make()
        holder = "\(Self.hostName()) pid \(getpid())"
    }

    /// This host's name from `gethostname` (no DNS lookup, which could hang while the network is degraded).
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates the lock table when it is missing.
    static func bootstrap(_ connection: Connection) throws(MariaDBError) {
        try connection.executeText(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
                owner CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
                holder VARCHAR(255) NOT NULL,
                expires_at DATETIME(6) NOT NULL,
                PRIMARY KEY (name)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
            """)
    }

    /// Takes the lease, waiting up to `waitSeconds` while another owner's lease runs.
    /// - Throws: `MigrationError(.lockTimeout)` naming the holder, or `.database`.
    func acquire(_ connection: Connection) throws(MigrationError) {
        let deadline = DatabaseSession.monotonicSeconds() + waitSeconds
        var current: (holder: String, expiresAt: String)?
        repeat {
            do {
                current = try attempt(connection)
                if current == nil { return }
            } catch  where error.isDeadlock {
                // Another node's migrate won the row in certification, or ours lost a row lock: read again.
                current = nil
            } catch {
                throw MigrationError(.database, "cannot take the migration lock: \(error)")
            }
            usleep(Self.pollMicroseconds)
        } while DatabaseSession.monotonicSeconds() < deadline
        let who = current.map { "\($0.holder) until \($0.expiresAt) UTC" } ?? "another migrate"
        throw MigrationError(.lockTimeout, "\(Self.table) is held by \(who)")
    }

    /// One try: takes the row when it is free or its lease ended. Returns nil when this owner holds it now, or
    /// who holds it.
    private func attempt(_ connection: Connection) throws(MariaDBError) -> (holder: String, expiresAt: String)? {
        // owner is assigned before expires_at (MariaDB evaluates SET items left to right), so the second item
        // sees whether the first took the row.
        try connection.execute(
            """
            INSERT INTO \(Self.table) (name, owner, holder, expires_at) \
            VALUES (?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND) ON DUPLICATE KEY UPDATE \
            owner = IF(expires_at < UTC_TIMESTAMP(6), VALUES(owner), owner), \
            holder = IF(owner = VALUES(owner), VALUES(holder), holder), \
            expires_at = IF(owner = VALUES(owner), VALUES(expires_at), expires_at)
            """, [.text(Self.name), .text(owner), .text(holder), SQLValue(Self.leaseSeconds)])
        guard
            let row = try connection.queryOne(
                "SELECT owner, holder, DATE_FORMAT(expires_at, '%Y-%m-%d %H:%i:%s') FROM \(Self.table) WHERE name = ?",
                [.text(Self.name)])
        else { return ("nobody (the row vanished)", "now") }
        if try row.string(0) == owner { return nil }
        return (try row.string(1), try row.string(2))
    }

    /// Extends the lease before the next file.
    /// - Throws: `MigrationError(.lockTimeout)` when the lease ended and another migrate took it over.
    func renew(_ connection: Connection) throws(MigrationError) {
        let renewed: Int
        do {
            renewed = try connection.execute(
                """
                UPDATE \(Self.table) SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND \
                WHERE name = ? AND owner = ?
                """, [SQLValue(Self.leaseSeconds), .text(Self.name), .text(owner)]
            ).affectedRows
        } catch {
            throw MigrationError(.database, "cannot renew the migration lock: \(error)")
        }
        guard renewed == 1 else {
            throw MigrationError(.lockTimeout, "the migration lease ran out and another migrate took it over")
        }
    }

    /// Lets the lease go (best effort: a lease left behind ends by itself).
    func release(_ connection: Connection) {
        _ = try? connection.execute(
            "DELETE FROM \(Self.table) WHERE name = ? AND owner = ?", [.text(Self.name), .text(owner)])
    }
}

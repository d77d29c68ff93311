import MariaDB
import PaymentsStore
import Testing

/// The wrapper itself: binary-protocol round trips, long values, errors and transactions.
@Suite struct ConnectionTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrate: false) }

    @Test func valuesRoundTripThroughTheBinaryProtocol() throws {
        let connection = database.admin
        try connection.executeText(
            """
            CREATE TABLE t (id BIGINT PRIMARY KEY AUTO_INCREMENT, n BIGINT NULL, d DOUBLE NULL, s VARCHAR(2000) NULL, \
            b MEDIUMBLOB NULL, ts DATETIME(6) NULL) ENGINE=InnoDB
            """)
        let long = String(repeating: "ü€x", count: 500)
        let blob = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let micros: Int64 = 1_700_000_000_123_456
        let inserted = try connection.execute(
            "INSERT INTO t (n, d, s, b, ts) VALUES (?, ?, ?, ?, ?)",
            [.int(-9_000_000_000), .double(2.5), .text(long), .bytes(blob), .datetime(unixMicroseconds: micros)])
        #expect(inserted.affectedRows == 1)
        #expect(inserted.lastInsertID == 1)
        try connection.execute(
            "INSERT INTO t (n, d, s, b, ts) VALUES (?, ?, ?, ?, ?)", [nil, nil, "", .bytes([]), nil])

        let rows = try connection.query("SELECT id, n, d, s, b, ts, UTC_TIMESTAMP(6) FROM t ORDER BY id")
        #expect(rows.count == 2)
        let first = try #require(rows.first)
        #expect(try first.int64(1) == -9_000_000_000)
        #expect(try first.double(2) == 2.5)
        #expect(try first.string(3) == long)
        #expect(try first.bytes(4) == blob)
        #expect(first[5] == .datetime(unixMicroseconds: micros))
        #expect(try first.unixSeconds(5) == 1_700_000_000)
        #expect(first.columnNames == ["id", "n", "d", "s", "b", "ts", "UTC_TIMESTAMP(6)"])
        let second = rows[1]
        #expect(second.isNull(1) && second.isNull(2) && second.isNull(5))
        #expect(try second.string(3) == "")
        #expect(try second.bytes(4) == [])
        #expect(throws: MariaDBError.self) { try second.int64(1) }

        // The grown buffers are reused: the long row reads back the same a second time.
        let again = try #require(try connection.queryOne("SELECT s, b FROM t WHERE id = ?", [1]))
        #expect(try again.string(0) == long)
        #expect(try again.bytes(1) == blob)
    }

    @Test func parameterBuffersAreReusedAcrossExecutionsOfOneStatement() throws {
        let connection = database.admin
        try connection.executeText(
            """
            CREATE TABLE w (id BIGINT PRIMARY KEY, n BIGINT NULL, d DOUBLE NULL, s MEDIUMTEXT NULL, \
            b MEDIUMBLOB NULL, ts DATETIME(6) NULL) ENGINE=InnoDB
            """)
        // One cached statement executed with values whose sizes shrink, grow past the reused arena, past the
        // largest reused size (an arena for one execution) and back, with kinds changing per placeholder.
        let sizes = [0, 1, 15, 16, 17, 300, 5_000, 70_000, 3, 40_000, 0, 2]
        var expected: [[SQLValue]] = []
        for (index, size) in sizes.enumerated() {
            let text = String(repeating: "é", count: size / 2) + String(repeating: "a", count: size % 2)
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            let id = SQLValue.int(Int64(index))
            let values: [SQLValue] =
                index % 3 == 2
                ? [id, nil, nil, nil, nil, nil]
                : [
                    id, .int(Int64(size) - 9_000_000_000), .double(Double(size) + 0.25), .text(text), .bytes(bytes),
                    .datetime(unixMicroseconds: 1_700_000_000_000_000 + Int64(size)),
                ]
            try connection.execute("INSERT INTO w (id, n, d, s, b, ts) VALUES (?, ?, ?, ?, ?, ?)", values)
            expected.append(values)
        }
        let rows = try connection.query("SELECT id, n, d, s, b, ts FROM w ORDER BY id")
        #expect(rows.count == sizes.count)
        for (row, values) in zip(rows, expected) {
            #expect(row.values == values)
        }
    }

    @Test func sessionIsUTCReadCommittedWithoutReconnect() throws {
        let row = try #require(
            try database.admin.queryOne(
                "SELECT @@session.time_zone, @@session.tx_isolation, @@character_set_client, SUM(1), CONNECTION_ID()"))
        #expect(try row.string(0) == "+00:00")
        #expect(try row.string(1) == "READ-COMMITTED")
        #expect(try row.string(2) == "utf8mb4")
        #expect(try row.int64(3) == 1)
        #expect(try row.int64(4) == database.admin.connectionID)
    }

    @Test func errorsCarryCodeAndStatementButNoValues() throws {
        let connection = database.admin
        try connection.executeText("CREATE TABLE u (k VARCHAR(32) PRIMARY KEY) ENGINE=InnoDB")
        try connection.execute("INSERT INTO u (k) VALUES (?)", ["secret-value"])
        let error = try #require(throws: MariaDBError.self) {
            try connection.execute("INSERT INTO u (k) VALUES (?)", ["secret-value"])
        }
        #expect(error.isDuplicateKey)
        #expect(error.code == 1062)
        #expect(error.sqlState == "23000")
        #expect(error.statement == "INSERT INTO u (k) VALUES (?)")
        #expect(!error.description.contains("secret-value"))
        #expect(!connection.isBroken)
        // The cached statement still works after a server-side error.
        try connection.execute("INSERT INTO u (k) VALUES (?)", ["other"])

        let syntax = try #require(throws: MariaDBError.self) { try connection.query("SELEC 1") }
        #expect(syntax.code == 1064)
        let count = try #require(throws: MariaDBError.self) { try connection.query("SELECT ?", []) }
        #expect(count.code == 0)
    }

    /// A server error that arrives instead of a result set's rows (here a lock-wait timeout in `SELECT … FOR
    /// UPDATE`) must not leave the cached statement mid-result: libmariadb's next execute of it would wait for rows
    /// that never come, until the read timeout, with the transaction's locks held meanwhile (the cluster bench's
    /// 60-second stalls). The statement is used again at once, on the same connection, within the same transaction.
    @Test func aStatementWhoseRowsFailedRunsAgainAtOnce() throws {
        try database.admin.executeText("CREATE TABLE w (k BIGINT PRIMARY KEY, n BIGINT) ENGINE=InnoDB")
        try database.admin.executeText("INSERT INTO w VALUES (1, 10), (2, 20)")
        var options = database.configuration.connectionOptions
        options.lockWaitTimeoutSeconds = 1
        options.readTimeoutSeconds = 8
        let holder = try Connection(options: options)
        let waiter = try Connection(options: options)
        defer {
            holder.close()
            waiter.close()
        }
        try holder.begin()
        _ = try holder.query("SELECT n FROM w WHERE k = ? FOR UPDATE", [1])

        // A range read, as the credit batch's session lock: its rows are read (and locked) after the result set's
        // columns went out, so the timeout arrives where the rows would.
        let locking = "SELECT n FROM w WHERE k IN (?, ?) ORDER BY k FOR UPDATE"
        try waiter.begin()
        let timeout = try #require(throws: MariaDBError.self) { try waiter.query(locking, [1, 2]) }
        #expect(timeout.code == 1205)
        try holder.rollback()
        let started = ContinuousClock.now
        #expect(try waiter.query(locking, [2, 3]).map { try $0.int64(0) } == [20])
        #expect(try waiter.query(locking, [1, 2]).map { try $0.int64(0) } == [10, 20])
        #expect(ContinuousClock.now - started < .seconds(3))
        try waiter.commit()
        #expect(!waiter.isBroken)

        // The same for a duplicate key met by the second row of an `INSERT … RETURNING` (the credit batch's insert).
        let returning = "INSERT INTO w (k, n) VALUES (?, ?), (?, ?) RETURNING k"
        let duplicate = try #require(throws: MariaDBError.self) { try waiter.query(returning, [3, 30, 1, 10]) }
        #expect(duplicate.isDuplicateKey)
        let again = ContinuousClock.now
        #expect(try waiter.query(returning, [4, 40, 5, 50]).map { try $0.int64(0) } == [4, 5])
        #expect(ContinuousClock.now - again < .seconds(3))
    }

    @Test func rollbackDiscardsAndCommitKeeps() throws {
        let connection = database.admin
        try connection.executeText("CREATE TABLE v (k BIGINT PRIMARY KEY) ENGINE=InnoDB")
        try connection.begin()
        try connection.execute("INSERT INTO v (k) VALUES (?)", [1])
        try connection.rollback()
        try connection.begin()
        try connection.execute("INSERT INTO v (k) VALUES (?)", [2])
        try connection.commit()
        #expect(try connection.query("SELECT k FROM v").map { try $0.int64(0) } == [2])
        try connection.ping()
    }

    @Test func connectingToAMissingSocketIsConnectionLost() throws {
        var options = TestDatabase.serverConfiguration.connectionOptions
        options.endpoint = .socket(TestDatabase.repository + "/.run/no-such-dir/mysqld.sock")
        let error = try #require(throws: MariaDBError.self) { try Connection(options: options) }
        #expect(error.isConnectionLost)
    }
}

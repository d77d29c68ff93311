import MariaDB
import Testing

/// DESIGN §6 read back from `information_schema` after every migration: the columns, their types, the unique keys,
/// the ENUMs and the binary collations of ids and uids, on a database whose own default collation is
/// case-insensitive (so a migration that loses a `COLLATE` shows up here).
@Suite struct SchemaContractTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    /// `COLUMN_TYPE` of each contract column (the schema may hold more columns than the contract names).
    static let columns: [String: [String: String]] = [
        "tn_payments": [
            "id": "bigint(20)", "payment_id": "varchar(255)", "uid": "varchar(128)", "gateway": "varchar(32)",
            "amount": "bigint(20)", "is_synced": "tinyint(1)", "created_at": "datetime(6)",
            "session_id": "bigint(20)", "refund_of": "bigint(20)",
            "sync_state": "enum('pending','synced','failed')", "sync_attempts": "int(11)",
            "next_sync_at": "datetime(6)", "sync_claimed_until": "datetime(6)", "last_sync_error": "varchar(1024)",
            "synced_at": "datetime(6)",
        ],
        "payment_sessions": [
            "id": "bigint(20)", "public_id": "char(36)", "gateway": "varchar(32)", "external_id": "varchar(255)",
            "uid": "varchar(128)", "amount": "bigint(20)", "currency": "char(3)",
            "status": "enum('creating','pending','review','paid','failed','canceled','expired','refunded')",
            "created_at": "datetime(6)", "expires_at": "datetime(6)", "next_reconcile_at": "datetime(6)",
            "reconcile_attempts": "int(11)", "reconcile_claimed_until": "datetime(6)", "updated_at": "datetime(6)",
        ],
        "webhook_events": [
            "id": "bigint(20)", "gateway": "varchar(32)", "event_id": "varchar(255)", "event_type": "varchar(128)",
            "payload": "mediumblob", "headers": "longtext", "received_at": "datetime(6)",
            "processed_at": "datetime(6)", "outcome": "varchar(64)",
        ],
        "operator_items": [
            "id": "bigint(20)", "gateway": "varchar(32)", "reference": "varchar(255)", "reason": "varchar(64)",
            "created_at": "datetime(6)", "resolved_at": "datetime(6)",
        ],
        "schema_migrations": ["version": "varchar(16)", "checksum": "char(64)", "applied_at": "datetime(6)"],
    ]

    /// Columns compared case-sensitively (DESIGN §5): a binary collation each.
    static let binaryColumns: [(String, String)] = [
        ("tn_payments", "payment_id"), ("tn_payments", "uid"), ("tn_payments", "gateway"),
        ("payment_sessions", "public_id"), ("payment_sessions", "gateway"), ("payment_sessions", "external_id"),
        ("payment_sessions", "uid"), ("webhook_events", "gateway"), ("webhook_events", "event_id"),
        ("operator_items", "reference"),
    ]

    /// The unique keys that make duplicates no-ops, as ordered column lists.
    static let uniqueKeys: [(String, [String])] = [
        ("tn_payments", ["payment_id"]), ("payment_sessions", ["public_id"]),
        ("payment_sessions", ["gateway", "external_id"]), ("webhook_events", ["gateway", "event_id"]),
    ]

    @Test func theDatabaseDefaultIsCaseInsensitive() throws {
        let row = try #require(try database.admin.queryOne("SELECT @@collation_database"))
        #expect(try row.string(0).hasSuffix("_ci"), "the contract checks below would prove nothing on a _bin default")
    }

    @Test func everyContractColumnHasItsType() throws {
        for (table, expected) in Self.columns {
            let rows = try database.admin.query(
                """
                SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
                """, [.text(table)])
            var actual: [String: String] = [:]
            for row in rows { actual[try row.string(0)] = try row.string(1).lowercased() }
            for (column, type) in expected {
                #expect(actual[column] == type, "\(table).\(column)")
            }
        }
    }

    @Test func tablesAreInnoDBInUTF8MB4WithABigintKey() throws {
        for table in Self.columns.keys {
            let row = try #require(
                try database.admin.queryOne(
                    """
                    SELECT t.ENGINE, c.CHARACTER_SET_NAME FROM information_schema.TABLES t
                    JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c
                      ON c.COLLATION_NAME = t.TABLE_COLLATION
                    WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ?
                    """, [.text(table)]), "\(table) exists")
            #expect(try row.string(0) == "InnoDB", "\(table)")
            #expect(try row.string(1) == "utf8mb4", "\(table)")
            let key = try database.admin.query(
                """
                SELECT COLUMN_NAME FROM information_schema.STATISTICS
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX
                """, [.text(table)]
            ).map { try $0.string(0) }
            #expect(key == (table == "schema_migrations" ? ["version"] : ["id"]), "\(table) primary key")
        }
    }

    /// Galera certifies and applies row changes by primary key (a table without one cannot be replicated safely:
    /// no DELETE, rows in another order per node), so every table the migrations and the migrator create has one,
    /// and is InnoDB (the only engine Galera replicates).
    @Test func everyTableHasAPrimaryKeyAndIsInnoDB() throws {
        let tables = try database.admin.query(
            """
            SELECT t.TABLE_NAME, t.ENGINE, (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS k
              WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
              AND k.CONSTRAINT_TYPE = 'PRIMARY KEY')
            FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
            """)
        let names = try Set(tables.map { try $0.string(0) })
        #expect(names.isSuperset(of: Self.columns.keys) && names.contains("schema_migration_lock"), "\(names)")
        for row in tables {
            let table = try row.string(0)
            #expect(try row.string(1) == "InnoDB", "\(table) engine")
            #expect(try row.int(2) == 1, "\(table) has no primary key")
        }
    }

    @Test func idsAndUidsCompareCaseSensitively() throws {
        for (table, column) in Self.binaryColumns {
            let row = try #require(
                try database.admin.queryOne(
                    """
                    SELECT COLLATION_NAME FROM information_schema.COLUMNS
                    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?
                    """, [.text(table), .text(column)]), "\(table).\(column) exists")
            let collation = try row.string(0)
            #expect(collation == "ascii_bin" || collation == "utf8mb4_bin", "\(table).\(column) is \(collation)")
        }
    }

    @Test func duplicatesAreStoppedByUniqueKeys() throws {
        let rows = try database.admin.query(
            """
            SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'
            ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
            """)
        var keys: [String: [String]] = [:]
        var tables: [String: String] = [:]
        for row in rows {
            let index = try row.string(1)
            tables[index] = try row.string(0)
            keys[index, default: []].append(try row.string(2))
        }
        for (table, columns) in Self.uniqueKeys {
            #expect(
                keys.contains { tables[$0.key] == table && $0.value == columns },
                "\(table) has a unique key on \(columns)")
        }
    }

    @Test func casingMakesADifferentPaymentID() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_CaseTest", uid: "Alice")
        try database.credit(ledger, "pi_casetest", uid: "alice")
        #expect(
            try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id IN ('pi_CaseTest','pi_casetest')")
                == 2)
    }
}

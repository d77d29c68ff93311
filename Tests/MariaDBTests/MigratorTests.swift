import Foundation
import MariaDB
import PaymentsStore
import Testing

@Suite struct MigratorTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrate: false) }

    @Test func migrateIsIdempotentAndRecordsChecksums() throws {
        let migrator = Migrator(configuration: database.configuration, directory: TestDatabase.sqlDirectory)
        #expect(throws: MigrationError.self) { try migrator.check() }
        let applied = try migrator.migrate()
        #expect(applied == (try TestDatabase.migrationVersions))
        #expect(applied.starts(with: ["0001", "0002", "0003", "0004", "0005"]))
        #expect(try migrator.migrate() == [])
        try migrator.check()

        for table in ["tn_payments", "payment_sessions", "webhook_events", "operator_items", "schema_migrations"] {
            #expect(
                try database.count(
                    "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                    [.text(table)]) == 1)
        }
        // The recorded checksum is the SHA-256 of the file bytes, in lowercase hex.
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: TestDatabase.sqlDirectory).sorted().first {
                $0.hasPrefix("0003_")
            })
        let bytes = try #require(FileManager.default.contents(atPath: TestDatabase.sqlDirectory + "/" + file))
        let expected = try #require(try database.admin.queryOne("SELECT LOWER(SHA2(?, 256))", [.bytes([UInt8](bytes))]))
        let stored = try #require(
            try database.admin.queryOne("SELECT checksum FROM schema_migrations WHERE version = '0003'"))
        #expect(try stored.string(0) == (try expected.string(0)))
        #expect(try stored.string(0).count == 64)
    }

    @Test func checkNamesAChangedOrMissingVersion() throws {
        try Migrator(configuration: database.configuration, directory: TestDatabase.sqlDirectory).migrate()

        // Copy sql/ and change one applied file.
        let copy = NSTemporaryDirectory() + "tn-migrations-" + database.name
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        for name in try FileManager.default.contentsOfDirectory(atPath: TestDatabase.sqlDirectory) {
            try FileManager.default.copyItem(atPath: TestDatabase.sqlDirectory + "/" + name, toPath: copy + "/" + name)
        }
        let changed = try #require(
            try FileManager.default.contentsOfDirectory(atPath: copy).first { $0.hasPrefix("0002_") })
        let handle = try #require(FileHandle(forWritingAtPath: copy + "/" + changed))
        handle.seekToEndOfFile()
        handle.write(Data("-- edited after merge\n".utf8))
        handle.closeFile()

        let edited = Migrator(configuration: database.configuration, directory: copy)
        let mismatch = try #require(throws: MigrationError.self) { try edited.check() }
        #expect(mismatch.kind == .checksumMismatch)
        #expect(mismatch.version == "0002")
        #expect(mismatch.description.contains("0002"))
        let refused = try #require(throws: MigrationError.self) { try edited.migrate() }
        #expect(refused.version == "0002")

        // A version missing from the database is named as well.
        try database.admin.execute("DELETE FROM schema_migrations WHERE version = '0004'")
        let behind = try #require(throws: MigrationError.self) {
            try Migrator(configuration: database.configuration, directory: TestDatabase.sqlDirectory).check()
        }
        #expect(behind.kind == .notApplied)
        #expect(behind.version == "0004")
        #expect(behind.description.contains("0004"))
        // migrate re-applies it: the files are idempotent (IF NOT EXISTS).
        #expect(
            try Migrator(configuration: database.configuration, directory: TestDatabase.sqlDirectory).migrate() == [
                "0004"
            ])
    }

    @Test func misnamedFilesAreRejected() throws {
        let directory = NSTemporaryDirectory() + "tn-bad-migrations-" + database.name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("SELECT 1;\n".utf8).write(to: URL(fileURLWithPath: directory + "/1_short.sql"))
        let error = try #require(throws: MigrationError.self) {
            try Migrator(configuration: database.configuration, directory: directory).migrate()
        }
        #expect(error.kind == .invalidFile)
    }

    @Test func aDelimiterLineLetsAProcedureBodyKeepItsSemicolons() throws {
        let directory = NSTemporaryDirectory() + "tn-delimiter-migrations-" + database.name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = """
            CREATE TABLE counters (n INT NOT NULL);
            -- a comment between statements
            DELIMITER //
            CREATE PROCEDURE bump()
            BEGIN
                INSERT INTO counters VALUES (1);
                INSERT INTO counters VALUES (2);
            END //
            DELIMITER ;
            INSERT INTO counters VALUES (3);

            """
        let first = try #require(
            try FileManager.default.contentsOfDirectory(atPath: TestDatabase.sqlDirectory).first {
                $0.hasPrefix("0001_")
            })
        try FileManager.default.copyItem(
            atPath: TestDatabase.sqlDirectory + "/" + first, toPath: directory + "/" + first)
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/0002_procedure.sql"))
        #expect(
            try Migrator(configuration: database.configuration, directory: directory).migrate() == ["0001", "0002"])
        _ = try database.admin.call("CALL bump()")
        #expect(try database.count("SELECT COUNT(*) FROM counters") == 3)
        #expect(try database.count("SELECT COALESCE(SUM(n), 0) FROM counters") == 6)
    }
}

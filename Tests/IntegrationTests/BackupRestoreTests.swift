import Foundation
import Testing

extension Integration {
    /// The README's backup and restore of the ledger, run for real against the test server: the dump command as
    /// documented, restored into a fresh database that `payments-sync migrate --status` and the responder's schema
    /// check accept, and a second round trip that leaves every table identical.
    @Suite("Backup and restore of the ledger")
    struct BackupRestoreTests {
        /// `mariadb-dump` with the README's options, of `database` into `file`.
        private static func dump(_ stack: Stack, _ database: String, to file: String) throws {
            let result = try Command.run(
                "/bin/sh",
                [
                    "-c",
                    "mariadb-dump --single-transaction --routines --triggers --socket=\"$1\" --user=\"$2\" \"$3\" >\"$4\"",
                    "dump", stack.env.dbSocket, stack.env.dbUser, database, file,
                ], environment: ["MYSQL_PWD": stack.env.dbPassword], timeout: 120)
            try #require(result.status == 0, "mariadb-dump \(database): \(result)")
        }

        /// The README's restore: a new, empty database fed the dump.
        private static func restore(_ stack: Stack, _ file: String, into database: String) throws {
            _ = try stack.db.execute(
                "CREATE DATABASE `\(database)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            let result = try Command.run(
                "/bin/sh",
                [
                    "-c", "mariadb --socket=\"$1\" --user=\"$2\" \"$3\" <\"$4\"", "restore", stack.env.dbSocket,
                    stack.env.dbUser, database, file,
                ],
                environment: ["MYSQL_PWD": stack.env.dbPassword], timeout: 120)
            try #require(result.status == 0, "restore into \(database): \(result)")
        }

        private static func tables(_ stack: Stack, _ database: String) throws -> [String] {
            try stack.db.query(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
                [.text(database)]
            ).map { try $0.string(0) }
        }

        private static func routines(_ stack: Stack, _ database: String) throws -> [String] {
            try stack.db.query(
                "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME",
                [.text(database)]
            ).map { try $0.string(0) }
        }

        @Test("mariadb-dump --single-transaction --routines of the live ledger restores into a database that serves")
        func dumpAndRestoreRoundTrip() throws {
            let stack = try Stack.connect()
            let work = FileManager.default.temporaryDirectory.appendingPathComponent(
                "itest-backup-\(TestIDs.random(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let restored = "tn_restored_" + TestIDs.random(10)
            let again = "tn_restored_" + TestIDs.random(10)
            defer {
                try? FileManager.default.removeItem(at: work)
                for name in [restored, again] { _ = try? stack.db.execute("DROP DATABASE IF EXISTS `\(name)`") }
            }

            // A consistent snapshot of the database the other tests are writing to at the same time.
            try Self.dump(stack, stack.env.dbName, to: work.appendingPathComponent("ledger.sql").path)
            try Self.restore(stack, work.appendingPathComponent("ledger.sql").path, into: restored)

            #expect(try Self.tables(stack, restored) == Self.tables(stack, stack.env.dbName))
            // confirm_credit (sql/0007) is a stored procedure: only --routines brings it along.
            let procedures = try Self.routines(stack, restored)
            let original = try Self.routines(stack, stack.env.dbName)
            #expect(!procedures.isEmpty && procedures == original, "\(procedures) vs \(original)")

            // The restored schema is the migrated one, checksums included, and the responder accepts it.
            let status = try Command.run(
                stack.env.executable("payments-sync"),
                ["migrate", "--status", "--env-file", stack.env.envFilePath, "--sql-dir", "\(stack.env.repo)/sql"],
                environment: ["DB_NAME": restored])
            #expect(status.status == 0 && status.output.contains(" 0 pending or changed"), "\(status)")
            let checked = try Command.run(
                stack.env.executable("payments-fcgi"),
                ["--env-file", stack.env.envFilePath, "--sql-dir", "\(stack.env.repo)/sql", "--check-config"],
                environment: ["DB_NAME": restored], timeout: 30)
            #expect(checked.status == 0, "\(checked)")

            // A second round trip of the (now quiet) restored copy: every table identical, row for row.
            try Self.dump(stack, restored, to: work.appendingPathComponent("again.sql").path)
            try Self.restore(stack, work.appendingPathComponent("again.sql").path, into: again)
            for table in try Self.tables(stack, restored) {
                let sums = try [restored, again].map { database in
                    try stack.db.query("CHECKSUM TABLE `\(database)`.`\(table)` EXTENDED").first.map { try $0.int64(1) }
                }
                #expect(sums[0] != nil && sums[0] == sums[1], "\(table): \(sums)")
            }
            #expect(try stack.db.count("SELECT COUNT(*) FROM `\(again)`.schema_migrations") > 0)
        }
    }
}

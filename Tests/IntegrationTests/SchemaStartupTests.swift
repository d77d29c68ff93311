import Foundation
import Testing

extension Integration {
    /// DESIGN §6: the responder refuses to start, naming the version, when the schema is behind or an applied
    /// migration's checksum differs. Each test works on a database of its own on the test server.
    @Suite("Responder start-up against the schema")
    struct SchemaStartupTests {
        /// A scratch database on the test server, dropped when the test ends.
        private struct ScratchDatabase {
            let name = "tn_schema_" + TestIDs.random(10)
            let stack: Stack

            init(_ stack: Stack) throws {
                self.stack = stack
                _ = try stack.db.execute("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            }

            func drop() { _ = try? stack.db.execute("DROP DATABASE IF EXISTS `\(name)`") }

            /// `payments-sync migrate` with the given migrations folder, on this database.
            func migrate(sqlDirectory: String) throws -> CommandResult {
                try Command.run(
                    stack.env.executable("payments-sync"),
                    ["migrate", "--env-file", stack.env.envFilePath, "--sql-dir", sqlDirectory],
                    environment: ["DB_NAME": name])
            }

            /// `payments-fcgi` started for real on a private socket against this database and the repository's sql/.
            func startResponder() throws -> CommandResult {
                let socket = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "itest-schema-\(TestIDs.random(8)).sock"
                ).path
                defer { try? FileManager.default.removeItem(atPath: socket) }
                let result = try Command.run(
                    stack.env.executable("payments-fcgi"),
                    ["--env-file", stack.env.envFilePath, "--sql-dir", "\(stack.env.repo)/sql"],
                    environment: ["DB_NAME": name, "FCGI_SOCKET": socket, "FCGI_WORKERS": "1"], timeout: 30)
                #expect(!FileManager.default.fileExists(atPath: socket), "no socket was bound")
                return result
            }
        }

        private static func migrationFiles(_ stack: Stack) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "\(stack.env.repo)/sql")
                .filter { $0.hasSuffix(".sql") }.sorted()
        }

        @Test("a schema one migration behind: payments-fcgi exits non-zero naming the missing version")
        func schemaBehind() throws {
            let stack = try Stack.connect()
            let database = try ScratchDatabase(stack)
            defer { database.drop() }
            let files = try Self.migrationFiles(stack)
            let last = try #require(files.last)
            let older = FileManager.default.temporaryDirectory.appendingPathComponent("itest-sql-\(TestIDs.random(8))")
            try FileManager.default.createDirectory(at: older, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: older) }
            for file in files.dropLast() {
                try FileManager.default.copyItem(
                    atPath: "\(stack.env.repo)/sql/\(file)", toPath: older.appendingPathComponent(file).path)
            }
            let migrated = try database.migrate(sqlDirectory: older.path)
            try #require(migrated.status == 0, "\(migrated)")

            let started = try database.startResponder()
            #expect(started.status != 0, "\(started)")
            #expect(started.error.contains(String(last.prefix(4))), "names the version: \(started)")
            #expect(started.error.contains("not applied"), "\(started)")
        }

        @Test("an applied migration whose checksum differs: payments-fcgi exits non-zero naming that version")
        func checksumDiffers() throws {
            let stack = try Stack.connect()
            let database = try ScratchDatabase(stack)
            defer { database.drop() }
            let migrated = try database.migrate(sqlDirectory: "\(stack.env.repo)/sql")
            try #require(migrated.status == 0, "\(migrated)")
            _ = try stack.db.execute(
                "UPDATE `\(database.name)`.schema_migrations SET checksum = REPEAT('0', 64) WHERE version = '0003'")

            let started = try database.startResponder()
            #expect(started.status != 0, "\(started)")
            #expect(started.error.contains("0003"), "names the version: \(started)")
            #expect(started.error.contains("checksum"), "\(started)")
        }

        @Test("the current schema: the same start-up succeeds (the refusals above are about the schema alone)")
        func currentSchemaStarts() throws {
            let stack = try Stack.connect()
            let database = try ScratchDatabase(stack)
            defer { database.drop() }
            let migrated = try database.migrate(sqlDirectory: "\(stack.env.repo)/sql")
            try #require(migrated.status == 0, "\(migrated)")
            let checked = try Command.run(
                stack.env.executable("payments-fcgi"),
                ["--env-file", stack.env.envFilePath, "--sql-dir", "\(stack.env.repo)/sql", "--check-config"],
                environment: ["DB_NAME": database.name], timeout: 30)
            #expect(checked.status == 0, "\(checked)")
        }
    }
}

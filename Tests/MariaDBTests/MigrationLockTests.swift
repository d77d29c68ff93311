import Foundation
import MariaDB
import PaymentsStore
import Synchronization
import Testing

/// `migrate`'s lease row (`schema_migration_lock`) on one server: parallel migrates apply each file once, a lease
/// held elsewhere makes `migrate` wait and then name its holder, an expired lease is taken over, and the lease is
/// gone after a run. `GaleraTests` runs the parallel case through two nodes of a cluster.
@Suite struct MigrationLockTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrate: false) }

    @Test("four migrates started at once on an empty database apply every file exactly once between them")
    func parallelMigratesApplyEachFileOnce() throws {
        let outcomes = ParallelMigrates.run(
            configurations: Array(repeating: database.configuration, count: 4), directory: TestDatabase.sqlDirectory)
        for case .failure(let error) in outcomes { Issue.record("a migrate failed: \(error)") }
        let applied = outcomes.compactMap { try? $0.get() }.flatMap { $0 }
        #expect(applied.sorted() == (try TestDatabase.migrationVersions), "each version applied by exactly one migrate")
        #expect(
            try database.count("SELECT COUNT(*) FROM schema_migrations") == (try TestDatabase.migrationVersions).count)
        #expect(try database.count("SELECT COUNT(*) FROM schema_migration_lock") == 0, "the lease is released")
    }

    @Test("a lease held by another migrate makes migrate wait, then fail naming the holder; once expired it is taken")
    func aLeaseHeldElsewhereIsWaitedForThenTakenOverWhenExpired() throws {
        let migrator = Migrator(
            configuration: database.configuration, directory: TestDatabase.sqlDirectory, lockWaitSeconds: 1)
        try migrator.migrate()
        try database.admin.execute(
            """
            INSERT INTO schema_migration_lock (name, owner, holder, expires_at) \
            VALUES ('migrate', 'someone-else', 'db-host-2 pid 77', UTC_TIMESTAMP(6) + INTERVAL 60 SECOND)
            """)
        let started = Date()
        do {
            try migrator.migrate()
            Issue.record("migrate ran while another lease was live")
        } catch {
            #expect(error.kind == .lockTimeout)
            #expect(error.message.contains("db-host-2 pid 77"), "\(error.message)")
        }
        #expect(Date().timeIntervalSince(started) >= 0.9, "it waited for the lease before giving up")

        try database.admin.execute(
            "UPDATE schema_migration_lock SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
        #expect(try migrator.migrate() == [])
        #expect(try database.count("SELECT COUNT(*) FROM schema_migration_lock") == 0)
    }

    @Test("migrate renews its lease before each file and stops when another migrate took it over")
    func aLeaseTakenOverStopsTheMigrate() throws {
        // Two files are pending again (both rerunnable); a trigger hands the lease to another owner as soon as the
        // first is recorded, as if the lease had run out and another migrate had taken it: the second must not run.
        let migrator = Migrator(
            configuration: database.configuration, directory: TestDatabase.sqlDirectory, lockWaitSeconds: 1)
        try migrator.migrate()
        try database.admin.execute("DELETE FROM schema_migrations WHERE version IN ('0004', '0005')")
        try database.admin.executeText(
            """
            CREATE TRIGGER steal_lease AFTER INSERT ON schema_migrations FOR EACH ROW \
            UPDATE schema_migration_lock SET owner = 'thief', holder = 'thief-host' WHERE name = 'migrate'
            """)
        do {
            try migrator.migrate()
            Issue.record("migrate went on after its lease was taken over")
        } catch {
            #expect(error.kind == .lockTimeout, "\(error)")
        }
        #expect(try database.count("SELECT COUNT(*) FROM schema_migrations WHERE version = '0005'") == 0)
        #expect(try database.count("SELECT COUNT(*) FROM schema_migration_lock WHERE owner = 'thief'") == 1)
    }
}

/// Runs one `migrate` per configuration on its own thread, all released at once, and collects what each applied.
enum ParallelMigrates {
    static func run(configurations: [DatabaseConfiguration], directory: String) -> [Result<[String], MigrationError>] {
        let results = Mutex<[Int: Result<[String], MigrationError>]>([:])
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for (index, configuration) in configurations.enumerated() {
            done.enter()
            Thread {
                MariaDBLibrary.threadInit()
                defer { MariaDBLibrary.threadEnd() }
                start.wait()
                let result = Result { () throws(MigrationError) -> [String] in
                    try Migrator(configuration: configuration, directory: directory).migrate()
                }
                results.withLock { $0[index] = result }
                done.leave()
            }.start()
        }
        for _ in configurations { start.signal() }
        done.wait()
        return results.withLock { stored in configurations.indices.compactMap { stored[$0] } }
    }
}

import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// A fresh, fully migrated database on the test MariaDB (`TEST_DB_SOCKET`, default
/// `<repo>/.run/test/mariadb/mysqld.sock`), dropped when the value goes away.
///
/// There is no skipping: when the server cannot be reached, creating it throws and the test fails.
final class TestDatabase {
    let name: String
    let configuration: DatabaseConfiguration
    /// A connection for assertions and set-up outside the code under test.
    let admin: Connection

    static let repository: String = {
        // <repo>/Tests/MariaDBTests/TestDatabase.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    static var sqlDirectory: String { repository + "/sql" }

    /// The `NNNN` versions of the migration files, in order.
    static var migrationVersions: [String] {
        get throws {
            try FileManager.default.contentsOfDirectory(atPath: sqlDirectory)
                .filter { $0.hasSuffix(".sql") }.map { String($0.prefix(4)) }.sorted()
        }
    }

    static let socket: String = {
        if let value = ProcessInfo.processInfo.environment["TEST_DB_SOCKET"], !value.isEmpty { return value }
        return repository + "/.run/test/mariadb/mysqld.sock"
    }()

    /// libmariadb is initialised once per process before any connection (swift_once makes this thread-safe).
    static let library: Void = { try? MariaDBLibrary.initialize() }()

    static var serverConfiguration: DatabaseConfiguration {
        DatabaseConfiguration(
            endpoint: .socket(socket), user: ProcessInfo.processInfo.environment["TEST_DB_USER"] ?? "root",
            password: Secret(ProcessInfo.processInfo.environment["TEST_DB_PASSWORD"] ?? ""), database: "",
            lockWaitTimeoutSeconds: 5)
    }

    init(migrate: Bool = true) throws {
        _ = Self.library
        let suffix = (0..<12).map { _ in String("0123456789abcdef".randomElement() ?? "0") }.joined()
        name = "tn_test_" + suffix
        let server = try Connection(options: Self.serverConfiguration.connectionOptions)
        try server.executeText("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        configuration = Self.serverConfiguration.with(database: name)
        admin = try Connection(options: configuration.connectionOptions)
        if migrate {
            try Migrator(configuration: configuration, directory: Self.sqlDirectory).migrate()
        }
    }

    deinit {
        try? admin.executeText("DROP DATABASE IF EXISTS `\(name)`")
        admin.close()
    }

    /// Makes every pending row due now (rows are written 30 s in the future so the immediate push wins).
    func makeAllDue() throws {
        try admin.execute("UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
    }

    func count(_ sql: String, _ binds: [SQLValue] = []) throws -> Int {
        try #require(try admin.queryOne(sql, binds)).int(0)
    }

    /// A ledger on this database.
    func ledger() -> MariaDBLedger { MariaDBLedger(configuration: configuration) }

    /// Writes one credit row and returns its id.
    @discardableResult
    func credit(
        _ ledger: MariaDBLedger, _ paymentID: String, uid: String = "u1", cents: Int64 = 1000,
        gateway: String = "stripe"
    ) throws -> Int64 {
        let outcome = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(paymentID: paymentID, uid: uid, gateway: gateway, amount: Money(cents: cents))
            ]))
        return try #require(outcome.insertedRows.first?.id)
    }

    /// Runs `body` on `count` new threads at once, each registered with libmariadb as a worker is, and waits for all.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                MariaDBLibrary.threadInit()
                defer { MariaDBLibrary.threadEnd() }
                body(index)
            }
        }
        done.wait()
    }
}

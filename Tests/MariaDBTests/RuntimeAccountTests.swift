import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// The runtime account needs no DDL rights (issue 11): with SELECT, INSERT, UPDATE, DELETE and EXECUTE it serves,
/// checks the schema and pushes, and it cannot migrate; `payments-sync migrate` uses `DB_MIGRATE_USER` for that.
@Suite struct RuntimeAccountTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    @Test func theRuntimeAccountServesWithoutDDLRightsAndCannotMigrate() throws {
        let user = "tn_rt_" + database.name.suffix(8)
        let password = "pw-" + database.name.suffix(12)
        try database.admin.executeText("CREATE USER '\(user)'@'localhost' IDENTIFIED BY '\(password)'")
        defer { try? database.admin.executeText("DROP USER '\(user)'@'localhost'") }
        try database.admin.executeText(
            "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE ON `\(database.name)`.* TO '\(user)'@'localhost'")
        var runtime = database.configuration
        runtime.user = user
        runtime.password = Secret(password)

        // The responder's start-up check and a confirmation through the procedure and the statement path.
        try Migrator(configuration: runtime, directory: TestDatabase.sqlDirectory).check()
        let ledger = MariaDBLedger(configuration: runtime)
        defer { ledger.close() }
        let session = try ledger.createSession(gateway: "stripe", uid: "u1", amount: Money(cents: 700), currency: "USD")
        let credit = try ledger.apply(
            LedgerEffect(
                event: WebhookEventRecord(
                    gateway: "stripe", eventID: "evt_rt", eventType: "payment_intent.succeeded",
                    payload: Array("{}".utf8), headers: [], outcome: "credited"),
                entries: [
                    LedgerEntry(
                        paymentID: "pi_rt", uid: "u1", gateway: "stripe", amount: Money(cents: 700),
                        sessionID: session.id)
                ],
                sessionUpdates: [(session.id, .paid)]), claimingCreditsForPush: true)
        #expect(credit.insertedRows.count == 1)
        let refund = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(
                    paymentID: "re_rt", uid: "u1", gateway: "stripe", amount: Money(cents: -200), refundOf: "pi_rt")
            ]))
        #expect(refund.insertedRows.count == 1)
        let store = SyncStore(configuration: runtime)
        defer { store.close() }
        #expect(try store.report().failedRows.isEmpty)

        // Schema changes are refused to it.
        let directory = NSTemporaryDirectory() + "tn-rt-migrations-" + database.name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in try FileManager.default.contentsOfDirectory(atPath: TestDatabase.sqlDirectory) {
            try FileManager.default.copyItem(
                atPath: TestDatabase.sqlDirectory + "/" + name, toPath: directory + "/" + name)
        }
        try Data("CREATE TABLE rt_extra (id INT NOT NULL);\n".utf8).write(
            to: URL(fileURLWithPath: directory + "/0099_rt_extra.sql"))
        #expect(throws: MigrationError.self) { try Migrator(configuration: runtime, directory: directory).migrate() }
        // The migration account (here the test's own) applies it.
        #expect(try Migrator(configuration: database.configuration, directory: directory).migrate() == ["0099"])
    }
}

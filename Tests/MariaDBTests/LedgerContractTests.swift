import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import PaymentsTestSupport
import Testing

/// The shared ledger contract against MariaDBLedger on a fresh database per check; GatewaysTests runs the same
/// checks against the in-memory ledger the gateway tests use.
@Suite struct LedgerContractTests {
    @Test(arguments: LedgerContract.checks)
    func mariaDBLedgerKeepsTheContract(_ check: LedgerContract.Check) throws {
        try check.run(on: MariaDBLedgerSubject(try TestDatabase()))
    }
}

/// MariaDBLedger as a contract subject. Failures are injected by the database itself: a trigger on
/// `operator_items` (the last table an effect writes) either refuses the insert (`SIGNAL`) or sleeps while another
/// connection kills the ledger's connection, so the transaction really fails half-way.
final class MariaDBLedgerSubject: LedgerContractSubject, @unchecked Sendable {
    // Unchecked: the admin connection is used only from the thread running the check; other threads use ledgers
    // of their own (makeLedger) and the killer thread opens its own connection.
    let database: TestDatabase
    private var faultsInstalled = false

    init(_ database: TestDatabase) { self.database = database }

    func makeLedger() throws -> any Ledger { database.ledger() }

    func operatorItems() throws -> [OperatorItem] {
        try database.admin.query("SELECT gateway, reference, reason, payload FROM operator_items ORDER BY id").map {
            OperatorItem(
                gateway: try $0.string(0), reference: try $0.string(1), reason: try $0.string(2),
                payload: try $0.string(3))
        }
    }

    func counts() throws -> (rows: Int, events: Int) {
        (
            try database.count("SELECT COUNT(*) FROM tn_payments"),
            try database.count("SELECT COUNT(*) FROM webhook_events")
        )
    }

    func pushClaimToken(paymentID: String) throws -> Int64? {
        try database.admin.queryOne(
            """
            SELECT sync_claim_token FROM tn_payments \
            WHERE payment_id = ? AND sync_claimed_until > UTC_TIMESTAMP(6)
            """, [.text(paymentID)]
        )?.optionalInt64(0)
    }

    func failNextApply(_ kind: LedgerError.Kind) throws {
        try installFaults()
        switch kind {
        case .failed:
            try database.admin.execute("INSERT INTO contract_faults (kind, remaining) VALUES ('failed', 1)")
        case .unavailable:
            try database.admin.execute("INSERT INTO contract_faults (kind, remaining) VALUES ('lost', 1)")
            killSleepingConnection()
        default:
            throw LedgerContractFaultUnsupported(kind: kind)
        }
    }

    func threadStarted() { MariaDBLibrary.threadInit() }
    func threadEnded() { MariaDBLibrary.threadEnd() }

    /// A MEMORY table (not rolled back with the transaction) arms the trigger for one insert.
    private func installFaults() throws {
        guard !faultsInstalled else { return }
        try database.admin.executeText(
            "CREATE TABLE contract_faults (kind VARCHAR(16) NOT NULL, remaining INT NOT NULL) ENGINE=MEMORY")
        try database.admin.executeText(
            """
            CREATE TRIGGER contract_fault BEFORE INSERT ON operator_items FOR EACH ROW BEGIN \
            DECLARE armed VARCHAR(16); \
            SET armed = (SELECT kind FROM contract_faults WHERE remaining > 0 LIMIT 1); \
            IF armed IS NOT NULL THEN \
            UPDATE contract_faults SET remaining = remaining - 1 WHERE kind = armed; \
            IF armed = 'failed' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fault injected by the contract'; \
            END IF; \
            IF armed = 'lost' THEN DO SLEEP(30); END IF; \
            END IF; \
            END
            """)
        faultsInstalled = true
    }

    /// Kills, from a connection of its own, the first connection of this database found sleeping in the trigger.
    private func killSleepingConnection() {
        let configuration = database.configuration
        let name = database.name
        Thread {
            MariaDBLibrary.threadInit()
            defer { MariaDBLibrary.threadEnd() }
            guard let killer = try? Connection(options: configuration.connectionOptions) else { return }
            defer { killer.close() }
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let sleeping = try? killer.queryOne(
                    """
                    SELECT ID FROM information_schema.PROCESSLIST \
                    WHERE DB = ? AND STATE = 'User sleep' AND ID <> CONNECTION_ID()
                    """, [.text(name)])
                if let id = try? sleeping?.int64(0) {
                    try? killer.executeText("KILL CONNECTION \(id)")
                    return
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }.start()
    }
}

/// A failure kind the MariaDB subject cannot produce on demand.
struct LedgerContractFaultUnsupported: Error {
    let kind: LedgerError.Kind
}

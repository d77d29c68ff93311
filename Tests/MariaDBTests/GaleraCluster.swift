import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// The Galera cluster `scripts/cluster.sh` starts, as its `cluster.env` names it: `TEST_GALERA_HOST`,
/// `TEST_GALERA_HAPROXY_PORT`, `TEST_GALERA_NODE_PORTS` (node 1, 2, 3 directly) and an account that may create
/// databases and accounts (`TEST_GALERA_USER`, `TEST_GALERA_PASSWORD`). Without `TEST_GALERA_HOST`, `GaleraTests`
/// is skipped (plain `make test` has no cluster; `make test-cluster` sets it).
struct GaleraCluster {
    let host: String
    let proxyPort: Int
    let nodePorts: [Int]
    let user: String
    let password: String

    static var isConfigured: Bool { !(ProcessInfo.processInfo.environment["TEST_GALERA_HOST"] ?? "").isEmpty }

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        host = try #require(environment["TEST_GALERA_HOST"])
        proxyPort = try #require(
            environment["TEST_GALERA_HAPROXY_PORT"].flatMap { Int($0) }, "TEST_GALERA_HAPROXY_PORT")
        nodePorts = (environment["TEST_GALERA_NODE_PORTS"] ?? "").split(separator: ",").compactMap { Int($0) }
        try #require(nodePorts.count >= 2, "TEST_GALERA_NODE_PORTS names at least two nodes")
        user = environment["TEST_GALERA_USER"] ?? "root"
        password = environment["TEST_GALERA_PASSWORD"] ?? ""
    }

    func configuration(port: Int, database: String, user: String? = nil, password: String? = nil)
        -> DatabaseConfiguration
    {
        DatabaseConfiguration(
            endpoint: .tcp(host: host, port: port), user: user ?? self.user,
            password: Secret(password ?? self.password),
            database: database, lockWaitTimeoutSeconds: 5)
    }
}

/// A fresh database on the cluster (created through node 1, so every node has it at once: Galera runs DDL in total
/// order), an admin connection to each node whose reads wait for every write committed before them
/// (`wsrep_sync_wait = 1`), and a runtime-like account without SUPER, whose statements a trigger can slow down
/// (SUPER sessions are exempt from `wsrep_reject_queries`, so the tests act as this account). Dropped afterwards.
final class GaleraDatabase {
    let cluster: GaleraCluster
    let name: String
    /// One per node, in `TEST_GALERA_NODE_PORTS` order.
    let admin: [Connection]
    let appUser: String
    let appPassword: String

    init(migrate: Bool = true) throws {
        _ = TestDatabase.library
        let cluster = try GaleraCluster()
        let suffix = (0..<10).map { _ in String("0123456789abcdef".randomElement() ?? "0") }.joined()
        let name = "tn_galera_" + suffix
        self.cluster = cluster
        self.name = name
        appUser = "tn_galera_" + suffix
        appPassword = "p" + suffix
        let server = try Connection(
            options: cluster.configuration(port: cluster.nodePorts[0], database: "").connectionOptions)
        try server.executeText("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        try server.executeText("CREATE USER '\(appUser)'@'%' IDENTIFIED BY '\(appPassword)'")
        try server.executeText("GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE ON `\(name)`.* TO '\(appUser)'@'%'")
        server.close()
        // Node 1 returns from CREATE DATABASE before the others have run it (DDL runs in the same order on every
        // node, each at its own pace): the first read under wsrep_sync_wait waits until this node has.
        admin = try cluster.nodePorts.map { port in
            let connection = try Connection(
                options: cluster.configuration(port: port, database: "").connectionOptions)
            try connection.executeText("SET SESSION wsrep_sync_wait = 1")
            _ = try connection.queryOne("SELECT COUNT(*) FROM information_schema.SCHEMATA")
            try connection.executeText("USE `\(name)`")
            return connection
        }
        if migrate { try Migrator(configuration: proxy(), directory: TestDatabase.sqlDirectory).migrate() }
    }

    deinit {
        try? admin[0].executeText("DROP DATABASE IF EXISTS `\(name)`")
        try? admin[0].executeText("DROP USER IF EXISTS '\(appUser)'@'%'")
        for connection in admin { connection.close() }
    }

    /// This database through node `index` (0-based), as the admin account.
    func node(_ index: Int) -> DatabaseConfiguration {
        cluster.configuration(port: cluster.nodePorts[index], database: name)
    }

    /// This database through node `index`, as the account without SUPER.
    func appNode(_ index: Int) -> DatabaseConfiguration {
        cluster.configuration(port: cluster.nodePorts[index], database: name, user: appUser, password: appPassword)
    }

    /// This database through HAProxy (the writer node).
    func proxy() -> DatabaseConfiguration { cluster.configuration(port: cluster.proxyPort, database: name) }

    /// The index of the last node (node 3 on the loopback cluster).
    var lastNode: Int { admin.count - 1 }

    /// Cuts node `index` off from the others (`gmcast.isolate`): it leaves the primary component and refuses to commit.
    /// Waits until it reports `non-Primary`, unless `call` ends first (then the race the test wants did not happen).
    func isolate<Value>(node index: Int, during call: BackgroundCall<Value>) throws {
        let control = try Connection(options: node(index).connectionOptions)
        defer { control.close() }
        try control.executeText("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
        let deadline = Date().addingTimeInterval(30)
        while try control.queryOne("SHOW STATUS LIKE 'wsrep_cluster_status'")?.string(1) == "Primary" {
            if call.finished != nil {
                Issue.record("the call ended before node \(index + 1) left the primary component")
                throw GaleraSetupError()
            }
            try #require(Date() < deadline, "node \(index + 1) stayed in the primary component")
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Lets node `index` rejoin after `isolate` and waits until it is Synced again (IST from the others).
    func rejoin(node index: Int) throws {
        let control = try Connection(options: node(index).connectionOptions)
        defer { control.close() }
        try control.executeText("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
        let deadline = Date().addingTimeInterval(120)
        while try control.queryOne("SHOW STATUS LIKE 'wsrep_local_state'")?.string(1) != "4" {
            try #require(Date() < deadline, "node \(index + 1) did not become Synced again")
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Returns once node `index` has applied every write the cluster committed so far (a read under
    /// `wsrep_sync_wait`), so sessions there without it see them too.
    func caughtUp(node index: Int) throws {
        _ = try admin[index].queryOne("SELECT COUNT(*) FROM tn_payments")
    }

    /// Runs one autocommit write on node `index`, rerunning it on a certification conflict (1213), as the stores do.
    func write(_ sql: String, node index: Int = 0) throws {
        var attempt = 1
        while true {
            do {
                try admin[index].execute(sql)
                return
            } catch {
                guard error.isDeadlock, attempt < 5 else { throw error }
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// The claim columns of every ledger row as node `index` has them, for a failure message.
    func claimState(node index: Int) throws -> String {
        try admin[index].query(
            """
            SELECT CONCAT_WS(' ', id, sync_state, sync_claim_token, sync_claimed_until, next_sync_at, \
            UTC_TIMESTAMP(6)) FROM tn_payments ORDER BY id
            """
        ).map { try $0.string(0) }.joined(separator: "; ")
    }

    func count(_ sql: String, _ binds: [SQLValue] = [], node: Int = 0) throws -> Int {
        try #require(try admin[node].queryOne(sql, binds)).int(0)
    }

    /// A Galera status counter of node `index` (`wsrep_local_bf_aborts`, `wsrep_local_cert_failures`).
    func status(_ variable: String, node index: Int) throws -> Int64 {
        try #require(try admin[index].queryOne("SHOW GLOBAL STATUS LIKE '\(variable)'")).int64(1)
    }

    /// Makes the app account's statements on `table` sleep `seconds` once per session before they write a row, so a
    /// test can commit a conflicting write through another node meanwhile. Replicated rows are applied without
    /// triggers (row-based replication), so only the app account's own statements are slowed.
    func slowDown(_ timing: String, on table: String, seconds: Double) throws {
        try admin[0].executeText(
            """
            CREATE TRIGGER galera_slow_\(timing.lowercased().replacingOccurrences(of: " ", with: "_"))_\(table) \
            \(timing) ON \(table) FOR EACH ROW SET @galera_slept = IF(SUBSTRING_INDEX(USER(), '@', 1) = '\(appUser)' \
            AND @galera_slept IS NULL, SLEEP(\(seconds)), @galera_slept)
            """)
    }

    /// Waits until a session of the app account on node `index` sleeps in that trigger, while `call` runs.
    func waitUntilAppSleeps<Value>(node index: Int, during call: BackgroundCall<Value>) throws {
        let deadline = Date().addingTimeInterval(30)
        while try count(
            // Inside a procedure the list shows the routine's definer as USER, so the session is found by its
            // database and the trigger's statement.
            """
            SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE = 'User sleep' \
            AND INFO LIKE 'SET @galera_slept%'
            """, [.text(name)], node: index) == 0
        {
            if let finished = call.finished {
                Issue.record("the call ended before it reached the trigger's sleep: \(finished)")
                throw GaleraSetupError()
            }
            try #require(Date() < deadline, "the app account's statement never reached the trigger's sleep")
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}

/// Runs `body` on a thread of its own (with libmariadb's per-thread set-up) and hands back its result.
final class BackgroundCall<Value: Sendable>: Sendable {
    private let result = ResultBox<Result<Value, LedgerError>>()
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws(LedgerError) -> Value) {
        Thread { [result, done] in
            MariaDBLibrary.threadInit()
            defer {
                MariaDBLibrary.threadEnd()
                done.signal()
            }
            result.set(Result { () throws(LedgerError) -> Value in try body() })
        }.start()
    }

    /// What `body` returned or threw, once it has.
    var finished: Result<Value, LedgerError>? { result.value }

    /// Waits for the thread (at most 60 s) and returns what `body` returned or threw.
    func value() throws -> Result<Value, LedgerError> {
        try #require(done.wait(timeout: .now() + 60) == .success, "the background call did not finish")
        return try #require(result.value)
    }
}

/// A cluster test could not set up the race it checks (reported with `Issue.record` first).
struct GaleraSetupError: Error {}

import Foundation
import PaymentsCore
import Testing

/// Everything a test needs: the backend, the sandbox and the ledger, plus the common payment steps.
struct Stack: Sendable {
    let env: TestEnvironment
    let api: API
    let sandbox: Sandbox
    let db: LedgerDatabase

    /// The test stack, or a failure saying why it is not there (TEST_BASE_URL unset, env file unreadable).
    static func connect() throws -> Stack {
        let env = try TestEnvironment.load()
        return Stack(env: env, api: API(env: env), sandbox: Sandbox(env: env), db: LedgerDatabase(env: env))
    }

    /// A fresh uid and a valid Firebase token for it.
    func newUser(_ tag: String = "u") throws -> (uid: String, token: String) {
        let uid = TestIDs.uid(tag)
        return (uid, try sandbox.mintToken(uid: uid))
    }

    /// Creates a PaymentIntent through the backend and returns its id (failing the test on any other answer).
    func createIntent(token: String, amount: Int64) throws -> String {
        let result = try api.createIntent(amount: amount, token: token)
        try #require(result.status == 200, "stripe-getPaymentIntent: \(result)")
        return try #require(result.json?["id"]?.stringValue, "no id in \(result)")
    }

    /// Waits until the ledger holds a row for `paymentID`.
    func waitForRow(_ paymentID: String, timeout: Double = 15) throws -> LedgerRow {
        var found: LedgerRow?
        try eventually(timeout: timeout) {
            found = try db.ledgerRow(paymentID: paymentID)
            return found != nil
        }
        return try #require(found, "no ledger row \(paymentID) within \(timeout) s")
    }

    /// A user with a credited Stripe payment of `amount`: create, pay in the sandbox (webhook delivered), wait for the row.
    func paidIntent(amount: Int64, tag: String = "u") throws -> (uid: String, token: String, intentID: String) {
        let (uid, token) = try newUser(tag)
        let intentID = try createIntent(token: token, amount: amount)
        try sandbox.pay(intentID)
        _ = try waitForRow(intentID)
        return (uid, token, intentID)
    }

    /// Waits until Retail applied `paymentID` (once) and the row is marked synced.
    func waitForSync(_ paymentID: String, uid: String, timeout: Double = 15) throws -> Bool {
        try eventually(timeout: timeout) {
            guard let row = try db.ledgerRow(paymentID: paymentID), row.isSynced, row.syncState == "synced" else {
                return false
            }
            return try sandbox.retailTransactions(customerID: uid)[paymentID]?.appliedCount == 1
        }
    }

    /// Waits until the sandbox reports every event of `intentID` of `type` as delivered (2xx from the backend).
    func waitForDelivery(intentID: String, type: String, timeout: Double = 15) throws -> [String] {
        var ids: [String] = []
        let delivered = try eventually(timeout: timeout) {
            let records = try sandbox.events(intentID: intentID).filter {
                Sandbox.event(ofRecord: $0)["type"]?.stringValue == type
            }
            ids = records.compactMap { Sandbox.event(ofRecord: $0)["id"]?.stringValue }
            return !records.isEmpty && records.allSatisfy { $0["delivery_status"]?.stringValue == "delivered" }
        }
        try #require(delivered, "sandbox did not deliver \(type) for \(intentID) within \(timeout) s")
        return ids
    }

    /// Runs a `payments-sync` subcommand against the test env file; `environment` overrides it (DESIGN §9).
    func paymentsSync(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws
        -> CommandResult
    {
        try Command.run(
            env.executable("payments-sync"), arguments + ["--env-file", env.envFilePath], environment: environment,
            timeout: timeout)
    }
}

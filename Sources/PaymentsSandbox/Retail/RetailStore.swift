/// The Retail API's in-memory state: customers with balances, transactions deduplicated on `transaction_id`.
struct RetailStore: Sendable {
    /// One accepted transaction.
    struct Transaction: Sendable {
        let customerID: String
        let transactionID: String
        let amount: Int64
        /// Times it changed a balance (1 by construction: duplicates are refused).
        var appliedCount: Int
        /// Times a POST carried this `transaction_id`, duplicates included.
        var receivedCount: Int
    }

    /// The outcome of a transaction POST.
    enum TransactionOutcome: Sendable {
        case applied
        case duplicate
        case customerNotFound
    }

    var balances: [String: Int64] = [:]
    var transactions: [String: Transaction] = [:]
    var order: [String] = []
    var attempts = 0
    var transactionAttempts = 0
    var mode = RetailMode.ok
    var latencyMilliseconds = 0
    var flapCounter = 0
    /// Transaction ids refused with a fixed status (`POST /control/retail/reject`), and how often each was refused.
    var rejections: [String: Rejection] = [:]

    /// A refusal set for one transaction id.
    struct Rejection: Sendable {
        let status: Int
        var hits = 0
    }

    /// The status to refuse this transaction id with, counting the refusal; nil when it is not refused.
    mutating func rejection(for transactionID: String) -> Int? {
        guard var rejection = rejections[transactionID] else { return nil }
        rejection.hits += 1
        rejections[transactionID] = rejection
        return rejection.status
    }

    /// Creates a customer; false when it already exists.
    mutating func createCustomer(_ id: String) -> Bool {
        guard balances[id] == nil else { return false }
        balances[id] = 0
        return true
    }

    /// Applies a transaction unless its id was seen before or the customer is unknown.
    mutating func apply(customerID: String, transactionID: String, amount: Int64) -> TransactionOutcome {
        if var existing = transactions[transactionID] {
            existing.receivedCount += 1
            transactions[transactionID] = existing
            return .duplicate
        }
        guard let balance = balances[customerID] else { return .customerNotFound }
        balances[customerID] = balance &+ amount
        transactions[transactionID] = Transaction(
            customerID: customerID, transactionID: transactionID, amount: amount, appliedCount: 1, receivedCount: 1)
        order.append(transactionID)
        return .applied
    }

    /// Forgets everything and returns to mode `ok` without latency.
    mutating func reset() { self = RetailStore() }
}

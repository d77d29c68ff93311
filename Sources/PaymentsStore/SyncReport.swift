import PaymentsCore

/// What `payments-sync report` shows operators: failed rows, open operator items and the backlog.
public struct SyncReport: Sendable {
    /// A row in `sync_state='failed'`, retried only after `payments-sync requeue`.
    public struct FailedRow: Sendable, Equatable {
        public var id: Int64
        public var paymentID: String
        public var uid: String
        public var gateway: String
        public var amount: Money
        public var attempts: Int
        public var lastError: String?
        /// Unix seconds.
        public var createdAt: Int64

        public init(
            id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, attempts: Int,
            lastError: String?, createdAt: Int64
        ) {
            self.id = id
            self.paymentID = paymentID
            self.uid = uid
            self.gateway = gateway
            self.amount = amount
            self.attempts = attempts
            self.lastError = lastError
            self.createdAt = createdAt
        }
    }

    /// An `operator_items` row not yet resolved.
    public struct OpenItem: Sendable, Equatable {
        public var id: Int64
        public var gateway: String
        public var reference: String
        public var reason: String
        public var payload: String
        /// Unix seconds.
        public var createdAt: Int64

        public init(id: Int64, gateway: String, reference: String, reason: String, payload: String, createdAt: Int64) {
            self.id = id
            self.gateway = gateway
            self.reference = reference
            self.reason = reason
            self.payload = payload
            self.createdAt = createdAt
        }
    }

    public var failedRows: [FailedRow]
    public var openOperatorItems: [OpenItem]
    /// Rows not yet synced (pending or failed).
    public var unsyncedCount: Int
    /// Age of the oldest unsynced row in seconds (0 when none).
    public var oldestUnsyncedSeconds: Int

    public init(failedRows: [FailedRow], openOperatorItems: [OpenItem], unsyncedCount: Int, oldestUnsyncedSeconds: Int)
    {
        self.failedRows = failedRows
        self.openOperatorItems = openOperatorItems
        self.unsyncedCount = unsyncedCount
        self.oldestUnsyncedSeconds = oldestUnsyncedSeconds
    }
}

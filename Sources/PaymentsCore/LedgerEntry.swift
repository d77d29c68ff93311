/// One row to write to `tn_payments`: a credit (positive) or a refund, reversal or chargeback (negative).
public struct LedgerEntry: Sendable, Equatable {
    /// Unique across gateways; it is the Retail `transaction_id` (DESIGN §5).
    public var paymentID: String
    public var uid: String
    /// The ledger id (`stripe`, `gplay`, …), not the route prefix.
    public var gateway: String
    public var amount: Money
    public var sessionID: Int64?
    /// For negative rows: the `payment_id` of the credit they take back. The refund cap is checked against it.
    public var refundOf: String?

    public init(
        paymentID: String, uid: String, gateway: String, amount: Money, sessionID: Int64? = nil, refundOf: String? = nil
    ) {
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.sessionID = sessionID
        self.refundOf = refundOf
    }
}

/// A ledger row as stored, for the transactions route and sync.
public struct StoredLedgerEntry: Sendable, Equatable {
    public var id: Int64
    public var paymentID: String
    public var uid: String
    public var gateway: String
    public var amount: Money
    public var sessionID: Int64?
    public var refundOf: Int64?
    public var isSynced: Bool
    /// Unix seconds.
    public var createdAt: Int64

    public init(
        id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, sessionID: Int64?, refundOf: Int64?,
        isSynced: Bool, createdAt: Int64
    ) {
        self.id = id
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.sessionID = sessionID
        self.refundOf = refundOf
        self.isSynced = isSynced
        self.createdAt = createdAt
    }
}

/// A delivery to record in `webhook_events`, only in the transaction that applies its effect (DESIGN §1.2), or one
/// read back from it (`payments-sync events replay`).
public struct WebhookEventRecord: Sendable {
    public var gateway: String
    public var eventID: String
    public var eventType: String
    /// The raw body as received, for audit.
    public var payload: [UInt8]
    /// Signature headers only, never `Authorization`.
    public var headers: [(String, String)]
    public var outcome: String

    public init(
        gateway: String, eventID: String, eventType: String, payload: [UInt8], headers: [(String, String)],
        outcome: String
    ) {
        self.gateway = gateway
        self.eventID = eventID
        self.eventType = eventType
        self.payload = payload
        self.headers = headers
        self.outcome = outcome
    }
}

/// Something only a person can settle: amount mismatch, over-refund, non-USD money, permanent sync failure.
public struct OperatorItem: Sendable {
    public var gateway: String
    public var reference: String
    public var reason: String
    public var payload: String

    public init(gateway: String, reference: String, reason: String, payload: String = "") {
        self.gateway = gateway
        self.reference = reference
        self.reason = reason
        self.payload = payload
    }
}

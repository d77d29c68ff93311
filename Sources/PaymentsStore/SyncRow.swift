import PaymentsCore

/// A ledger row to push to the Retail API (`POST …/m/customer/{uid}/transaction`, DESIGN §7).
public struct SyncRow: Sendable, Equatable {
    /// `tn_payments.id`.
    public var id: Int64
    /// The Retail `transaction_id`.
    public var paymentID: String
    public var uid: String
    public var gateway: String
    public var amount: Money
    /// Failed pushes so far (drives the backoff).
    public var attempts: Int
    /// The claim this row was taken under; nil for rows only listed (`--dry-run`), which must not be pushed.
    public var claim: PushClaim?

    public init(
        id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, attempts: Int,
        claim: PushClaim? = nil
    ) {
        self.id = id
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.attempts = attempts
        self.claim = claim
    }

    /// A row the ledger has just written (`LedgerOutcome.insertedRows`), never pushed yet, with its claim if any.
    public init(_ row: InsertedRow) {
        self.init(
            id: row.id, paymentID: row.paymentID, uid: row.uid, gateway: row.gateway, amount: row.amount, attempts: 0,
            claim: row.claim)
    }
}

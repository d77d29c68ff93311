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

    public init(id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, attempts: Int) {
        self.id = id
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.attempts = attempts
    }
}

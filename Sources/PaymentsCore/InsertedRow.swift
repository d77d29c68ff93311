/// A ledger row one `Ledger.apply` wrote, as the Retail push needs it (DESIGN §7).
public struct InsertedRow: Sendable, Equatable {
    /// The row's id in the ledger (`tn_payments.id`).
    public let id: Int64
    /// The Retail `transaction_id`.
    public let paymentID: String
    public let uid: String
    /// The ledger id of the gateway.
    public let gateway: String
    /// Signed: negative for refunds, reversals and disputes.
    public let amount: Money
    /// The push claim the row was written under, in the writing transaction; nil when it was written unclaimed
    /// (a pusher claims it first).
    public let claim: PushClaim?
    /// The payment session the row belongs to (`tn_payments.session_id`), if any: for a `NamedSessionCredit`, the
    /// session the ledger found by its reference.
    public let sessionID: Int64?

    public init(
        id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, claim: PushClaim? = nil,
        sessionID: Int64? = nil
    ) {
        self.id = id
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.claim = claim
        self.sessionID = sessionID
    }

    /// The row `entry` became under `id`, written under `claim`.
    public init(_ entry: LedgerEntry, id: Int64, claim: PushClaim? = nil) {
        self.init(
            id: id, paymentID: entry.paymentID, uid: entry.uid, gateway: entry.gateway, amount: entry.amount,
            claim: claim, sessionID: entry.sessionID)
    }
}

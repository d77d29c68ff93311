/// The lifecycle states of `payment_sessions.status` (DESIGN §6).
public enum SessionStatus: String, Sendable, CaseIterable {
    case creating, pending, review, paid, failed, canceled, expired, refunded

    /// Open sessions are the ones reconciliation still looks at.
    public var isOpen: Bool { self == .creating || self == .pending || self == .review }
}

/// A client-initiated payment as this backend created it: the server's own record of uid and amount.
public struct PaymentSession: Sendable, Equatable {
    public var id: Int64
    /// Random UUIDv4 sent to gateways as reference and idempotency-key stem; never reused.
    public var publicID: String
    public var gateway: String
    public var externalID: String?
    public var uid: String
    public var amount: Money
    public var currency: String
    public var status: SessionStatus
    /// Unix seconds.
    public var createdAt: Int64
    public var reconcileAttempts: Int

    public init(
        id: Int64, publicID: String, gateway: String, externalID: String?, uid: String, amount: Money,
        currency: String = "USD", status: SessionStatus, createdAt: Int64, reconcileAttempts: Int = 0
    ) {
        self.id = id
        self.publicID = publicID
        self.gateway = gateway
        self.externalID = externalID
        self.uid = uid
        self.amount = amount
        self.currency = currency
        self.status = status
        self.createdAt = createdAt
        self.reconcileAttempts = reconcileAttempts
    }
}

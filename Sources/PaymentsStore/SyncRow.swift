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
    public var claim: SyncClaim?

    public init(
        id: Int64, paymentID: String, uid: String, gateway: String, amount: Money, attempts: Int,
        claim: SyncClaim? = nil
    ) {
        self.id = id
        self.paymentID = paymentID
        self.uid = uid
        self.gateway = gateway
        self.amount = amount
        self.attempts = attempts
        self.claim = claim
    }
}

/// A pusher's claim on ledger rows (DESIGN §7): the token written to `sync_claim_token` next to the lease in
/// `sync_claimed_until`, and when that lease ends by this process's own clock.
///
/// Outcomes are recorded only while the row still carries the token, so a pusher whose lease lapsed and was
/// taken over records nothing; and a push starts only while enough of the lease is left (`isLive`).
public struct SyncClaim: Sendable, Equatable {
    /// Random and unique per claim.
    public let token: Int64
    /// The lease ends no earlier than this: it is counted from before the claim was written.
    public let expires: ContinuousClock.Instant

    public init(token: Int64, expires: ContinuousClock.Instant) {
        self.token = token
        self.expires = expires
    }

    /// A new claim with a fresh token whose lease (`SyncStore.claimSeconds`) starts now; take it just before the
    /// transaction that writes it.
    public static func begin(now: ContinuousClock.Instant = .now) -> SyncClaim {
        SyncClaim(token: Int64.random(in: 1...Int64.max), expires: now + .seconds(SyncStore.claimSeconds))
    }

    /// True while more than `margin` of the lease is left: a push may start only then, so that it ends (or times
    /// out) before another pusher can claim the row.
    public func isLive(margin: Duration, now: ContinuousClock.Instant = .now) -> Bool { now + margin < expires }
}

/// A pusher's claim on ledger rows (DESIGN §7): the token written to `sync_claim_token` next to the lease in
/// `sync_claimed_until`, and when that lease ends by this process's own clock.
///
/// Outcomes are recorded only while the row still carries the token, so a pusher whose lease lapsed and was
/// taken over records nothing; and a push starts only while enough of the lease is left (`isLive`).
public struct PushClaim: Sendable, Equatable {
    /// How long a claim keeps other pushers away, in seconds (the lease written to `sync_claimed_until`).
    public static let leaseSeconds = 60

    /// Random and unique per claim.
    public let token: Int64
    /// The lease ends no earlier than this: it is counted from before the claim was written.
    public let expires: ContinuousClock.Instant

    public init(token: Int64, expires: ContinuousClock.Instant) {
        self.token = token
        self.expires = expires
    }

    /// A new claim with a fresh token whose lease (`leaseSeconds`) starts now; take it just before the transaction
    /// that writes it.
    public static func begin(now: ContinuousClock.Instant = .now) -> PushClaim {
        PushClaim(token: Int64.random(in: 1...Int64.max), expires: now + .seconds(leaseSeconds))
    }

    /// True while more than `margin` of the lease is left: a push may start only then, so that it ends (or times
    /// out) before another pusher can claim the row.
    public func isLive(margin: Duration, now: ContinuousClock.Instant = .now) -> Bool { now + margin < expires }
}

/// What settling one delivery (or one client call, or one reconciliation) did: a verdict that routes map to their
/// client answers, and what the ledger wrote.
public struct SettlementResult: Sendable, Equatable {
    /// The decision, ordered so that the strongest of several facts wins (a credit beats a refund beats an operator
    /// item …).
    public enum Verdict: Sendable, Equatable {
        /// Credited now or earlier.
        case credited
        /// Money was taken back (or given back after a failed refund or a lost dispute).
        case refunded
        /// Handed to an operator instead of being booked.
        case `operator`
        /// The payment ended without money; its session is closed with this status.
        case closed(SessionStatus)
        /// Held for review at the gateway.
        case review
        /// Not final at the gateway yet.
        case open
        /// Nothing to do (not ours, not a payment event).
        case ignored
        /// The event was processed before: nothing changed.
        case duplicate

        var rank: Int {
            switch self {
            case .duplicate: 8
            case .credited: 7
            case .refunded: 6
            case .operator: 5
            case .closed: 4
            case .review: 3
            case .open: 2
            case .ignored: 1
            }
        }
    }

    public var verdict: Verdict
    /// The ledger's answer; empty when nothing needed writing.
    public var ledger: LedgerOutcome
    /// The outcome `webhook_events.outcome` records for these facts (`credited`, `refunded`, `no-change`, …); nil
    /// when no facts were settled.
    public var outcome: String?

    public init(verdict: Verdict, ledger: LedgerOutcome = LedgerOutcome(), outcome: String? = nil) {
        self.verdict = verdict
        self.ledger = ledger
        self.outcome = outcome
    }

    /// What reconciliation reports for a session settled with this result (DESIGN §8).
    public var reconcileResult: ReconcileResult {
        switch verdict {
        case .credited: .credited
        case .refunded: .closed(.refunded)
        case .operator: .closed(.failed)
        case .closed(let status): .closed(status)
        case .review, .open, .ignored, .duplicate: .unchanged
        }
    }
}

/// One verified fact a gateway learned about money or a payment session, in the engine's vocabulary.
///
/// Gateways verify a delivery (or re-read the gateway where the body cannot be trusted) and translate what they
/// learned into these facts; `Settlement` alone decides what the ledger books for them, so the rules (currency,
/// amount, refund targets, compensations, session moves, operator items) are written once for every gateway.
public enum SettlementFact: Sendable {
    /// A payment is final at the gateway: credit it once under its id.
    case paid(Payment)
    /// Money taken back from an earlier payment of this gateway (refund, reversal, dispute withdrawal).
    case refunded(Refund)
    /// A refund booked earlier failed or was canceled: give its amount back as `<refundID>-reversed`, once.
    /// Nothing happens when the refund was never booked.
    case refundReversed(refundID: String, paymentID: String)
    /// A dispute's withdrawn funds came back: credit them as `<disputeID>-reinstated`, only after the withdrawal is
    /// booked (else the gateway is asked to retry).
    case disputeReinstated(disputeID: String, paymentID: String, amount: ReportedMoney)
    /// Not final at the gateway yet. With a session, an open session moves to `pending`; `reason` is the outcome.
    case open(reason: String, session: PaymentSession?)
    /// Held for review at the gateway. With a session, an open session moves to `review`.
    case review(reason: String, session: PaymentSession?)
    /// The payment ended without money (expired, canceled, failed): an open session moves to `status`.
    case sessionClosed(PaymentSession, SessionStatus, reason: String)
    /// Something only a person can settle, specific to one gateway (Cryptomus `wrong_amount`, an unknown refund).
    case needsOperator(OperatorNote)
    /// Recorded without effect (`ignored`, `not-ours`, `already-credited`, …); `reason` is the outcome.
    case ignored(reason: String)
}

extension SettlementFact {
    /// A gateway-specific anomaly for an operator; `closing` is the session it ends (moved to `failed` when open).
    public struct OperatorNote: Sendable {
        public var reference: String
        public var reason: String
        public var detail: String
        public var closing: PaymentSession?

        public init(reference: String, reason: String, detail: String, closing: PaymentSession? = nil) {
            self.reference = reference
            self.reason = reason
            self.detail = detail
            self.closing = closing
        }
    }
}

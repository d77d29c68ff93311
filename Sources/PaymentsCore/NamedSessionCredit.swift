/// A webhook's credit whose session the gateway's verified data names (`SessionReference`) but nobody has read:
/// the ledger books it with its event in the one transaction that reads and locks the session, and only when the
/// session is as a plain credit needs it (`Ledger.apply(_:claimingCreditsForPush:)`); otherwise it writes nothing and
/// the settlement engine reads the session and settles the payment as usual.
///
/// Why: reading the session first is a database round trip of its own for every webhook, about a twentieth of the
/// whole machine's work per delivery under load (bench/README.md, "the session read folded into the batch").
///
/// "As a plain credit needs it" is what `Settlement` books for such a payment when it has read the session: the
/// session is the named one (`SessionReference.matches`), it is neither `paid` nor `refunded`, and it holds no credit
/// yet; then the credit is written for the reference's uid and the session's id, and the session moves to `paid`.
public struct NamedSessionCredit: Sendable {
    /// The delivery's event, recorded with the outcome `credited`.
    public var event: WebhookEventRecord
    public var paymentID: String
    public var gateway: String
    public var amount: Money
    public var session: SessionReference

    /// The credit of a single USD payment under `.reported` naming its session, or nil for any other facts.
    public init?(_ facts: [SettlementFact], event: WebhookEventRecord, gateway: String) {
        guard facts.count == 1, case .paid(let payment) = facts[0], case .named(let session) = payment.payer,
            payment.rule == .reported, !payment.refundedAtGateway, payment.amount.isUSD,
            let cents = payment.amount.usableCents
        else { return nil }
        self.event = event.withOutcome("credited")
        self.paymentID = payment.id
        self.gateway = gateway
        self.amount = Money(cents: cents)
        self.session = session
    }

    /// The credit's row, for the named session's id once it is known.
    public func entry(sessionID: Int64?) -> LedgerEntry {
        LedgerEntry(paymentID: paymentID, uid: session.uid, gateway: gateway, amount: amount, sessionID: sessionID)
    }

    /// What the ledger books once the session's id is known: the event, the credit and the move to `paid`.
    public func effect(sessionID: Int64) -> LedgerEffect {
        LedgerEffect(event: event, entries: [entry(sessionID: sessionID)], sessionUpdates: [(sessionID, .paid)])
    }
}

import Logging

/// The settlement engine: books verified facts for one gateway, in one `LedgerEffect` per delivery.
///
/// Every gateway's webhook, client route and reconciliation goes through `settle`, so the rules are written once:
/// currency (USD, any case) and amount checks against the session, operator items for money that cannot be booked,
/// refund targets of the same gateway (a refund before its payment is `LedgerError(.refundTargetMissing)`, 503, so
/// the gateway retries), compensations, session moves (only open sessions move, except to `paid` and `refunded`)
/// and the outcome stored with the event.
public struct Settlement {
    /// The worker's ledger; gateways read sessions and rows through it while translating.
    public let ledger: any Ledger
    /// The ledger id rows and events are booked under.
    public let gateway: String
    let logger: Logger
    /// Where rows written for a request go for the immediate Retail push; nil outside a request (reconciliation).
    let push: PushHandoff?

    /// An engine outside a request (reconciliation, tests): nothing is claimed for the immediate push.
    public init(ledger: any Ledger, gateway: String, logger: Logger) {
        self.ledger = ledger
        self.gateway = gateway
        self.logger = logger
        self.push = nil
    }

    /// The engine of one request: credits are written already claimed while the push queue has room, and every row
    /// written goes to the request's hand-off for the push after the answer (DESIGN §7).
    public init(_ context: RequestContext, gateway: String, logger: Logger? = nil) {
        self.ledger = context.ledger
        self.gateway = gateway
        self.logger = logger ?? context.logger
        self.push = context.push
    }

    /// Whether a row with this `payment_id` exists (a payment credited, a refund booked).
    public func isBooked(_ paymentID: String) throws -> Bool {
        try ledger.entry(paymentID: paymentID) != nil
    }

    /// Books `facts` and records `event` (if any) with their outcome, in one transaction.
    ///
    /// A delivery whose one fact is a USD payment under `.reported` naming its session (`Payer.named`) is first
    /// offered to the ledger as a `NamedSessionCredit`, which books it in the transaction that reads the session when
    /// the session is as a first credit needs; otherwise the session is read here and the facts are booked as below.
    ///
    /// The event's outcome (`webhook_events.outcome`) is its one fact's: `credited`, `refunded`, `reversed`,
    /// `withdrawn`, `reinstated`, `refund-reversed`, `already-credited`, `non-usd` or the operator reason, or the
    /// reason an open, review, closed or ignored fact gives. Several facts record `booked`; facts that wrote nothing
    /// record `no-change`. Nothing is written when there is no event and nothing to change (a client route re-reading
    /// an open payment).
    /// - Throws: `LedgerError` from the ledger; `.refundTargetMissing` when money is taken back from a payment not
    ///   booked yet; `.integrity` when it names another gateway's payment.
    /// - Parameter replay: the facts of a stored event processed again: operator items already recorded are not
    ///   added again (`LedgerEffect.isReplay`).
    public func settle(_ facts: [SettlementFact], event: WebhookEventRecord? = nil, replay: Bool = false) throws
        -> SettlementResult
    {
        if let event, !replay, let credit = NamedSessionCredit(facts, event: event, gateway: gateway),
            let booked = try ledger.apply(credit, claimingCreditsForPush: push?.claimsCredits ?? false)
        {
            push?.take(booked.outcome)
            return SettlementResult(verdict: .credited, ledger: booked.outcome, outcome: "credited")
        }
        var booking = Booking()
        for fact in facts {
            try book(try resolvingNamedSession(fact), into: &booking)
        }
        let outcome: String
        if facts.count == 1, let only = booking.outcomes.first {
            outcome = only
        } else {
            outcome = booking.effect.entries.isEmpty && booking.effect.operatorItems.isEmpty ? "no-change" : "booked"
        }
        var effect = booking.effect
        effect.event = event.map { $0.withOutcome(outcome) }
        effect.isReplay = replay
        let verdict = booking.verdict ?? .ignored
        guard
            effect.event != nil || !effect.entries.isEmpty || !effect.sessionUpdates.isEmpty
                || !effect.operatorItems.isEmpty
        else { return SettlementResult(verdict: verdict, outcome: outcome) }
        let written = try ledger.apply(effect, claimingCreditsForPush: push?.claimsCredits ?? false)
        push?.take(written)
        if written.duplicateEvent { return SettlementResult(verdict: .duplicate, ledger: written) }
        // The ledger found the session credited meanwhile under another payment (two payments of one order at once).
        let settled = !written.secondPayments.isEmpty && written.insertedRows.isEmpty ? .operator : verdict
        return SettlementResult(verdict: settled, ledger: written, outcome: outcome)
    }

    /// The fact with a named session read (`SessionReference.resolve`); a payment naming a session that is not the
    /// one named (another gateway's, another uid's, another payment's) is ignored.
    private func resolvingNamedSession(_ fact: SettlementFact) throws -> SettlementFact {
        guard case .paid(var payment) = fact, case .named(let reference) = payment.payer else { return fact }
        guard let session = try reference.resolve(in: ledger) else { return .ignored(reason: "ignored") }
        payment.payer = .session(session)
        return .paid(payment)
    }

    /// One fact's contribution to the effect.
    private func book(_ fact: SettlementFact, into booking: inout Booking) throws {
        switch fact {
        case .paid(let payment):
            try bookPayment(payment, into: &booking)
        case .refunded(let refund):
            try bookRefund(refund, into: &booking)
        case .refundReversed(let refundID, let paymentID):
            try bookReversal(refundID: refundID, paymentID: paymentID, into: &booking)
        case .disputeReinstated(let disputeID, let paymentID, let amount):
            try bookReinstatement(disputeID: disputeID, paymentID: paymentID, amount: amount, into: &booking)
        case .open(let reason, let session):
            if let session { booking.move(session, to: .pending) }
            booking.decide(.open, outcome: reason)
        case .review(let reason, let session):
            if let session { booking.move(session, to: .review) }
            booking.decide(.review, outcome: reason)
        case .sessionClosed(let session, let status, let reason):
            booking.move(session, to: status)
            booking.decide(.closed(status), outcome: reason)
        case .needsOperator(let note):
            handOver(
                reference: note.reference, reason: note.reason, detail: note.detail, closing: note.closing,
                into: &booking)
        case .ignored(let reason):
            booking.decide(.ignored, outcome: reason)
        }
    }

    /// Adds an operator item (and closes the session it ends) instead of booking money.
    func handOver(
        reference: String, reason: String, detail: String, closing session: PaymentSession?,
        into booking: inout Booking
    ) {
        logger.warning(
            "\(gateway) money handed to an operator",
            metadata: ["payment.id": "\(reference)", "operator.reason": "\(reason)"])
        booking.effect.operatorItems.append(
            OperatorItem(gateway: gateway, reference: reference, reason: reason, payload: detail))
        if let session { booking.move(session, to: .failed) }
        booking.decide(.operator, outcome: reason.hasPrefix("non-usd") ? "non-usd" : reason)
    }

    /// The payment row money is taken back from: it must exist and belong to this gateway.
    func target(_ paymentID: String, of adjustment: String) throws -> StoredLedgerEntry {
        guard let payment = try ledger.entry(paymentID: paymentID) else {
            throw LedgerError(.refundTargetMissing, "\(adjustment) arrived before its payment \(paymentID)")
        }
        guard payment.gateway == gateway else {
            throw LedgerError(.integrity, "\(adjustment) arrived through another gateway than payment \(paymentID)")
        }
        return payment
    }
}

extension Settlement {
    /// The effect being built for one delivery, with the outcome and verdict of each fact.
    struct Booking {
        var effect = LedgerEffect()
        var outcomes: [String] = []
        var verdict: SettlementResult.Verdict?

        /// Records a fact's outcome; the strongest verdict of the delivery wins.
        mutating func decide(_ verdict: SettlementResult.Verdict, outcome: String?) {
            if let outcome { outcomes.append(outcome) }
            if (self.verdict?.rank ?? 0) < verdict.rank { self.verdict = verdict }
        }

        /// Moves an open session to `status`; `paid` and `refunded` also move a closed one (money decides).
        mutating func move(_ session: PaymentSession, to status: SessionStatus) {
            guard session.status != status else { return }
            let moves =
                status == .refunded || (status == .paid && session.status != .refunded) || session.status.isOpen
            guard moves else { return }
            effect.sessionUpdates.removeAll { $0.sessionID == session.id }
            effect.sessionUpdates.append((session.id, status))
        }
    }
}

extension WebhookEventRecord {
    /// The same record with its outcome set.
    func withOutcome(_ outcome: String) -> WebhookEventRecord {
        var copy = self
        copy.outcome = outcome
        return copy
    }
}

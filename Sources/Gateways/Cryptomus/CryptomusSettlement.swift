import Logging
import PaymentsCore

/// The one path from an invoice's state to the ledger, shared by the webhook and reconciliation, so a payment is
/// credited the same way — and only once — whichever of them gets there first.
struct CryptomusSettlement: Sendable {
    /// Where an invoice ended up after settling.
    enum Outcome: Sendable, Equatable {
        case credited
        case refunded
        case closed(SessionStatus)
        /// Still waiting for the payer or for confirmations.
        case open
        /// Recorded without effect (not our invoice, nothing to do, or handed to an operator without closing).
        case ignored
    }

    static let ledgerID = "cryptomus"
    let api: CryptomusAPI
    let creditOverpayment: Bool

    /// The session this backend created for the invoice: named by `order_id` (our `public_id`), of this gateway,
    /// and not linked to another invoice.
    func session(for invoice: CryptomusInvoice, ledger: any Ledger) throws -> PaymentSession? {
        if let orderID = invoice.orderID, let session = try ledger.session(publicID: orderID) {
            guard session.gateway == CryptomusSettlement.ledgerID,
                session.externalID == nil || session.externalID == invoice.uuid
            else { return nil }
            return session
        }
        return try ledger.session(gateway: CryptomusSettlement.ledgerID, externalID: invoice.uuid)
    }

    /// Cents to credit for a final payment: the USD value paid, floored to the cent from its decimal text, capped at
    /// the invoice unless overpayments are credited; nil when the value is missing or not a decimal.
    func creditAmount(invoice: Money, paidUSD: String?) -> Money? {
        guard let paid = paidUSD.flatMap({ Money.flooringCents(fromDecimal: $0) }) else { return nil }
        return creditOverpayment ? paid : min(invoice, paid)
    }

    /// Applies an invoice state to the ledger, with `event` (if any) in the same transaction.
    ///
    /// `paid`/`paid_over` must come from the API (a re-read), never from a webhook alone; `fallbackUSD` is the
    /// signed webhook's `payment_amount_usd`, used only when the re-read does not carry one.
    func apply(
        _ invoice: CryptomusInvoice, session: PaymentSession, event: WebhookEventRecord?, fallbackUSD: String? = nil,
        ledger: any Ledger, logger: Logger
    ) throws -> (Outcome, LedgerOutcome) {
        switch invoice.status {
        case "paid", "paid_over":
            guard invoice.isFinal, invoice.orderID == session.publicID else {
                return (
                    .open, try record(event, outcome: "not-final", session: session, status: .pending, ledger: ledger)
                )
            }
            return try credit(
                invoice, session: session, event: event, fallbackUSD: fallbackUSD, ledger: ledger, logger: logger)
        case "wrong_amount" where invoice.isFinal:
            let item = OperatorItem(
                gateway: CryptomusSettlement.ledgerID, reference: invoice.uuid, reason: "cryptomus-wrong-amount",
                payload:
                    "invoice=\(session.amount.decimalString) paid_usd=\(invoice.paymentAmountUSD ?? fallbackUSD ?? "?")"
            )
            var effect = LedgerEffect(event: event?.withOutcome("wrong-amount"), operatorItems: [item])
            if session.status.isOpen { effect.sessionUpdates = [(session.id, .failed)] }
            logger.warning("cryptomus underpayment handed to an operator", metadata: ["payment.id": "\(invoice.uuid)"])
            return (.closed(.failed), try ledger.apply(effect))
        case "refund_paid":
            return try refund(invoice, session: session, event: event, ledger: ledger)
        case "cancel" where invoice.isFinal:
            return (
                .closed(.expired),
                try record(event, outcome: "expired", session: session, status: .expired, ledger: ledger)
            )
        case "fail" where invoice.isFinal, "system_fail" where invoice.isFinal:
            return (
                .closed(.failed),
                try record(event, outcome: invoice.status, session: session, status: .failed, ledger: ledger)
            )
        case "refund_process", "refund_fail":
            return (.ignored, try record(event, outcome: invoice.status, session: session, status: nil, ledger: ledger))
        case "locked":
            return (.open, try record(event, outcome: "locked", session: session, status: .review, ledger: ledger))
        default:
            return (.open, try record(event, outcome: "not-final", session: session, status: .pending, ledger: ledger))
        }
    }

    /// Credits a final `paid`/`paid_over` invoice once under its uuid; non-USD invoices and unreadable amounts go to
    /// an operator instead and close the session, so reconciliation does not report them again.
    private func credit(
        _ invoice: CryptomusInvoice, session: PaymentSession, event: WebhookEventRecord?, fallbackUSD: String?,
        ledger: any Ledger, logger: Logger
    ) throws -> (Outcome, LedgerOutcome) {
        let paidUSD = invoice.paymentAmountUSD ?? fallbackUSD
        guard invoice.currency?.uppercased() == "USD",
            let amount = creditAmount(invoice: session.amount, paidUSD: paidUSD), amount.cents > 0
        else {
            let item = OperatorItem(
                gateway: CryptomusSettlement.ledgerID, reference: invoice.uuid, reason: "cryptomus-unusable-payment",
                payload: "status=\(invoice.status) currency=\(invoice.currency ?? "?") paid_usd=\(paidUSD ?? "?")")
            logger.warning("cryptomus payment handed to an operator", metadata: ["payment.id": "\(invoice.uuid)"])
            var effect = LedgerEffect(event: event?.withOutcome("operator"), operatorItems: [item])
            if session.status.isOpen { effect.sessionUpdates = [(session.id, .failed)] }
            return (.closed(.failed), try ledger.apply(effect))
        }
        let entry = LedgerEntry(
            paymentID: invoice.uuid, uid: session.uid, gateway: CryptomusSettlement.ledgerID, amount: amount,
            sessionID: session.id)
        var effect = LedgerEffect(event: event?.withOutcome("credited"), entries: [entry])
        if session.status.isOpen { effect.sessionUpdates = [(session.id, .paid)] }
        return (.credited, try ledger.apply(effect))
    }

    /// `refund_paid`: takes back exactly what was credited, once, as `<uuid>-refund`. A refund before its credit
    /// answers 503 (the store's `refundTargetMissing`) so Cryptomus or reconciliation retries.
    private func refund(
        _ invoice: CryptomusInvoice, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger
    )
        throws -> (Outcome, LedgerOutcome)
    {
        guard let credited = try ledger.entry(paymentID: invoice.uuid) else {
            throw LedgerError(.refundTargetMissing, "cryptomus refund of \(invoice.uuid) arrived before its payment")
        }
        let entry = LedgerEntry(
            paymentID: "\(invoice.uuid)-refund", uid: credited.uid, gateway: CryptomusSettlement.ledgerID,
            amount: Money(cents: -credited.amount.cents), sessionID: credited.sessionID, refundOf: invoice.uuid)
        let effect = LedgerEffect(
            event: event?.withOutcome("refunded"), entries: [entry], sessionUpdates: [(session.id, .refunded)])
        return (.refunded, try ledger.apply(effect))
    }

    /// Records an event (if any) with a session status change for an open session, and no money.
    private func record(
        _ event: WebhookEventRecord?, outcome: String, session: PaymentSession, status: SessionStatus?,
        ledger: any Ledger
    ) throws -> LedgerOutcome {
        var effect = LedgerEffect(event: event?.withOutcome(outcome))
        if let status, session.status.isOpen, session.status != status {
            effect.sessionUpdates = [(session.id, status)]
        }
        if effect.event == nil && effect.sessionUpdates.isEmpty { return LedgerOutcome() }
        return try ledger.apply(effect)
    }
}

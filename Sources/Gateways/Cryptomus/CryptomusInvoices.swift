import PaymentsCore

/// What an invoice says, as settlement facts: shared by the webhook and reconciliation, so a payment is credited
/// the same way whichever of them gets there first.
struct CryptomusInvoices: Sendable {
    let api: CryptomusAPI
    let creditOverpayment: Bool

    /// The session this backend created for the invoice: named by `order_id` (our `public_id`), of this gateway,
    /// and not linked to another invoice.
    func session(for invoice: CryptomusInvoice, ledger: any Ledger) throws -> PaymentSession? {
        if let orderID = invoice.orderID, let session = try ledger.session(publicID: orderID) {
            guard session.gateway == CryptomusGateway.ledgerID,
                session.externalID == nil || session.externalID == invoice.uuid
            else { return nil }
            return session
        }
        return try ledger.session(gateway: CryptomusGateway.ledgerID, externalID: invoice.uuid)
    }

    /// The fact of an invoice state.
    ///
    /// `paid`/`paid_over` must come from the API (a re-read), never from a webhook alone; `fallbackUSD` is the
    /// signed webhook's `payment_amount_usd`, used only when the re-read does not carry one.
    func fact(_ invoice: CryptomusInvoice, session: PaymentSession, fallbackUSD: String? = nil) -> SettlementFact {
        switch invoice.status {
        case "paid", "paid_over":
            guard invoice.isFinal, invoice.orderID == session.publicID else {
                return .open(reason: "not-final", session: session)
            }
            // The USD value paid, floored to the cent from its decimal text (never floating point).
            let paidUSD = invoice.paymentAmountUSD ?? fallbackUSD
            let amount = ReportedMoney(
                cents: paidUSD.flatMap { Money.flooringCents(fromDecimal: $0) }?.cents,
                currency: invoice.currency ?? "?", text: paidUSD ?? "?")
            return .paid(
                SettlementFact.Payment(
                    id: invoice.uuid, payer: .session(session), amount: amount,
                    rule: .upToSession(overpaymentAllowed: creditOverpayment)))
        case "wrong_amount" where invoice.isFinal:
            return .needsOperator(
                SettlementFact.OperatorNote(
                    reference: invoice.uuid, reason: "cryptomus-wrong-amount",
                    detail:
                        "invoice=\(session.amount.decimalString) paid_usd=\(invoice.paymentAmountUSD ?? fallbackUSD ?? "?")",
                    closing: session))
        case "refund_paid":
            // Takes back exactly what was credited, once, as `<uuid>-refund`.
            return .refunded(
                SettlementFact.Refund(
                    id: "\(invoice.uuid)-refund", paymentID: invoice.uuid, kind: .refund, amount: .wholePayment))
        case "cancel" where invoice.isFinal:
            return .sessionClosed(session, .expired, reason: "expired")
        case "fail" where invoice.isFinal, "system_fail" where invoice.isFinal:
            return .sessionClosed(session, .failed, reason: invoice.status)
        case "refund_process", "refund_fail":
            return .ignored(reason: invoice.status)
        case "locked":
            return .review(reason: "locked", session: session)
        default:
            return .open(reason: "not-final", session: session)
        }
    }
}

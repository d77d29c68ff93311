import PaymentsCore

/// What the hosted-form gateways (Payeer, Anypay) share: a signed notification names our order, its amount and its
/// currency, and nothing is re-read from the gateway.
extension SettlementFact {
    /// A notification's payment of `session`: credited once under `id`, only when the notified amount and currency
    /// are exactly the session's (else an operator item).
    static func exactPayment(id: String, of session: PaymentSession, amount: Money?, currency: String, text: String)
        -> SettlementFact
    {
        .paid(
            Payment(
                id: id, payer: .session(session),
                amount: ReportedMoney(cents: amount?.cents, currency: currency, text: text),
                rule: .exact))
    }
}

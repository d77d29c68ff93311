extension SettlementFact {
    /// A payment final at the gateway, as the gateway reported it.
    public struct Payment: Sendable {
        /// Who is credited: the session a client created, or a uid taken from verified data (store purchases).
        public enum Payer: Sendable {
            case session(PaymentSession)
            case user(uid: String)
            /// A session the gateway's verified data names, not read yet: `Settlement` books it as a
            /// `NamedSessionCredit` where it can, else reads it first (and ignores the payment when it is not the
            /// session named).
            case named(SessionReference)
        }

        /// How the reported amount becomes the credited amount.
        public enum AmountRule: Sendable, Equatable {
            /// Must equal the session's amount (else `amount-mismatch`); the session's amount is credited.
            case exact
            /// What the gateway received is credited; nothing received yet is not final.
            case reported
            /// The amount floored to the cent, capped at the session's amount unless overpayments are credited;
            /// an unreadable amount goes to an operator (`unusable-payment`).
            case upToSession(overpaymentAllowed: Bool)
            /// The session's amount is credited once at least that much was received: less credits nothing
            /// (`underpayment`), more credits the session's amount and hands the excess to an operator (`overpayment`).
            case atLeastSession
        }

        /// The ledger `payment_id`: the gateway's id of the payment.
        public var id: String
        public var payer: Payer
        public var amount: ReportedMoney
        public var rule: AmountRule
        /// The gateway already shows the payment as refunded when it is first seen: nothing can be credited any more,
        /// so it is either credited already or an operator item (`refunded-before-credit`).
        public var refundedAtGateway: Bool

        public init(
            id: String, payer: Payer, amount: ReportedMoney, rule: AmountRule, refundedAtGateway: Bool = false
        ) {
            self.id = id
            self.payer = payer
            self.amount = amount
            self.rule = rule
            self.refundedAtGateway = refundedAtGateway
        }

        /// The session behind a client-initiated payment.
        public var session: PaymentSession? {
            if case .session(let session) = payer { return session }
            return nil
        }

        var uid: String {
            switch payer {
            case .session(let session): session.uid
            case .user(let uid): uid
            case .named(let reference): reference.uid
            }
        }
    }
}

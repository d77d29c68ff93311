extension SettlementFact {
    /// Money taken back from an earlier payment of the same gateway.
    public struct Refund: Sendable {
        /// What took the money back; it names the outcome and the operator reasons (`non-usd-refund`, …).
        public enum Kind: String, Sendable {
            case refund, reversal, dispute

            /// The noun of the operator reasons: reversals are refunds forced by the payer's bank.
            var noun: String { self == .dispute ? "dispute" : "refund" }
            /// The delivery outcome when it is booked.
            var outcome: String {
                switch self {
                case .refund: "refunded"
                case .reversal: "reversed"
                case .dispute: "withdrawn"
                }
            }
        }

        /// How much is taken back.
        public enum Amount: Sendable {
            /// The amount as the gateway reported it; unusable or non-USD amounts go to an operator. The session
            /// becomes `refunded` when this amount completes the payment's refunds.
            case reported(ReportedMoney)
            /// Exactly what was credited (Cryptomus `refund_paid`); the payment's session becomes `refunded`.
            case wholePayment
        }

        /// The ledger `payment_id` of the negative row.
        public var id: String
        /// The refunded payment's `payment_id`; it must be a payment of the same gateway.
        public var paymentID: String
        public var kind: Kind
        public var amount: Amount

        public init(id: String, paymentID: String, kind: Kind, amount: Amount) {
            self.id = id
            self.paymentID = paymentID
            self.kind = kind
            self.amount = amount
        }
    }
}

/// Sorts an operator-configured gateway's status strings into the classes the settlement acts on (DESIGN §2):
/// `GW_<ID>_PAID_STATUSES`, `GW_<ID>_FAILED_STATUSES` and `GW_<ID>_REFUND_STATUSES`, compared exactly.
public struct CustomStatusTable: Sendable, Equatable {
    /// What a status means for the session.
    public enum Class: Sendable, Equatable {
        /// The payment went through: credit the session once.
        case paid
        /// The payment will not happen: the session closes.
        case failed
        /// Money went back to the payer: a negative row after the credit.
        case refund
        /// Anything else: recorded, no effect.
        case other
    }

    public let paid: Set<String>
    public let failed: Set<String>
    public let refund: Set<String>

    /// The defaults of DESIGN §2: `paid`; `failed`, `expired`, `canceled`; `refunded`.
    public init(
        paid: Set<String> = ["paid"], failed: Set<String> = ["failed", "expired", "canceled"],
        refund: Set<String> = ["refunded"]
    ) {
        self.paid = paid
        self.failed = failed
        self.refund = refund
    }

    /// The class of `status`; `other` when no list holds it.
    public func classify(_ status: String) -> Class {
        if paid.contains(status) { return .paid }
        if failed.contains(status) { return .failed }
        if refund.contains(status) { return .refund }
        return .other
    }
}

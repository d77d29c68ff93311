/// What every ledger checks before it books an adjustment (refund, reversal, chargeback, compensation) of a payment
/// row, kept in one place so that the MariaDB ledger and its in-memory double cannot drift apart (DESIGN §1.5, §5).
public enum AdjustmentRules {
    /// An adjustment must name its payment's uid and arrive through its payment's gateway; anything else is an
    /// integrity error (500, nothing written): one gateway's delivery never touches another gateway's payment.
    public static func checkTarget(
        _ entry: LedgerEntry, refundOf: String, paymentUID: String, paymentGateway: String
    ) throws(LedgerError) {
        if paymentUID != entry.uid {
            throw LedgerError(.integrity, "\(entry.paymentID) names another uid than payment \(refundOf)")
        }
        if paymentGateway != entry.gateway {
            throw LedgerError(.integrity, "\(entry.paymentID) arrived through another gateway than payment \(refundOf)")
        }
    }

    /// The operator-item reason when booking `amount` on top of the payment's earlier adjustments (`adjustedBefore`)
    /// would take back more than `paymentAmount` (`over-refund`) or give back more than was taken
    /// (`over-compensation`); nil when it may be booked. A sum beyond Int64 counts as over the cap, so no amount can
    /// trap.
    public static func capViolation(adjustedBefore: Int64, amount: Int64, paymentAmount: Int64) -> String? {
        let (after, overflow) = adjustedBefore.addingReportingOverflow(amount)
        if overflow { return amount < 0 ? "over-refund" : "over-compensation" }
        if after < Saturating.subtract(0, paymentAmount) { return "over-refund" }
        return after > 0 ? "over-compensation" : nil
    }
}

import PaymentsCore
import Testing

/// The adjustment rules both ledgers apply (their shared contract suite checks them through each ledger too).
@Suite struct AdjustmentRulesTests {
    @Test(arguments: [
        (Int64(0), Int64(-1000), Int64(1000), String?.none),
        (0, -1001, 1000, "over-refund"),
        (-600, -400, 1000, nil),
        (-600, -401, 1000, "over-refund"),
        (-600, 600, 1000, nil),
        (-600, 601, 1000, "over-compensation"),
        (0, 1, 1000, "over-compensation"),
        (.min, -1, 1000, "over-refund"),
        (.max, 1, 1000, "over-compensation"),
        (0, .min, .max, "over-refund"),
    ])
    func capViolation(before: Int64, amount: Int64, payment: Int64, reason: String?) {
        #expect(AdjustmentRules.capViolation(adjustedBefore: before, amount: amount, paymentAmount: payment) == reason)
    }

    @Test func theTargetMustShareUidAndGateway() throws {
        let entry = LedgerEntry(
            paymentID: "re_1", uid: "u1", gateway: "stripe", amount: Money(cents: -100), refundOf: "pi_1")
        try AdjustmentRules.checkTarget(entry, refundOf: "pi_1", paymentUID: "u1", paymentGateway: "stripe")
        for (uid, gateway) in [("u2", "stripe"), ("u1", "paypal")] {
            let error = #expect(throws: LedgerError.self) {
                try AdjustmentRules.checkTarget(entry, refundOf: "pi_1", paymentUID: uid, paymentGateway: gateway)
            }
            #expect(error?.kind == .integrity, "\(uid) \(gateway)")
        }
    }
}

import PaymentsCore
import Testing

/// The idempotency key of an operator refund: stable for the same command, different for another amount or reason.
@Suite struct OperatorRefundTests {
    static let payment = StoredLedgerEntry(
        id: 1, paymentID: "pi_1", uid: "u", gateway: "stripe", amount: Money(cents: 2000), sessionID: nil,
        refundOf: nil, isSynced: true, createdAt: 0)

    static func key(_ cents: Int64, _ reason: String, remaining: Int64 = 2000) -> String {
        OperatorRefund(
            payment: payment, amount: Money(cents: cents), remaining: Money(cents: remaining), reason: reason
        ).idempotencyKey
    }

    @Test func theSameCommandHasTheSameKeyWhateverTheLedgerSaysMeanwhile() {
        #expect(Self.key(500, "goodwill") == Self.key(500, "goodwill", remaining: 1500))
        #expect(Self.key(500, "goodwill").hasPrefix("op-refund-pi_1-500-"))
        #expect(Self.key(500, "goodwill").count == "op-refund-pi_1-500-".count + 16)
    }

    @Test func anotherAmountOrReasonIsAnotherRefund() {
        let keys = [
            Self.key(500, "goodwill"), Self.key(501, "goodwill"), Self.key(500, "goodwill "), Self.key(500, ""),
        ]
        #expect(Set(keys).count == keys.count)
    }

    @Test func wholeRemainderIsWhatIsLeft() {
        let whole = OperatorRefund(
            payment: Self.payment, amount: Money(cents: 1500), remaining: Money(cents: 1500), reason: "r")
        #expect(whole.isWholeRemainder)
        #expect(
            !OperatorRefund(payment: Self.payment, amount: Money(cents: 10), remaining: Money(cents: 1500), reason: "r")
                .isWholeRemainder)
    }
}

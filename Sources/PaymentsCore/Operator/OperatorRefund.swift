/// A refund an operator asked for (`payments-sync refund`), checked against the ledger before any gateway is called.
public struct OperatorRefund: Sendable {
    /// The credited row the money goes back from (its gateway is the one called).
    public var payment: StoredLedgerEntry
    /// Cents to refund: positive and never more than `remaining`.
    public var amount: Money
    /// What the ledger says is left of the payment (its amount less every negative row taking it back).
    public var remaining: Money
    /// Why; recorded, and sent to the gateway where it keeps an internal note (Stripe refund metadata).
    public var reason: String
    /// Derived from the payment, the amount and the reason, so the same command run again (after a lost answer, or
    /// after the webhook booked the refund meanwhile) asks the gateway for the same refund and never refunds twice;
    /// a second refund of the same amount needs another reason.
    public var idempotencyKey: String
    /// The payer's wallet, for gateways that send crypto back (Cryptomus `address`).
    public var payerAddress: String?

    public init(
        payment: StoredLedgerEntry, amount: Money, remaining: Money, reason: String, payerAddress: String? = nil
    ) {
        self.payment = payment
        self.amount = amount
        self.remaining = remaining
        self.reason = reason
        self.payerAddress = payerAddress
        idempotencyKey = "op-refund-\(payment.paymentID)-\(amount.cents)-\(Self.fingerprint(reason))"
    }

    /// 64-bit FNV-1a of the text as 16 hex digits: a short, stable stand-in for the reason inside a key.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Whether everything that is left goes back.
    public var isWholeRemainder: Bool { amount == remaining }
}

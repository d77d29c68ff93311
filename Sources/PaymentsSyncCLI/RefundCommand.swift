import ArgumentParser
import PaymentsApp
import PaymentsCore

/// `payments-sync refund <payment_id> [--amount <cents>] --reason <text>`: a refund through the gateway's own API,
/// booked like the webhook reporting it.
struct RefundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refund",
        abstract: "Refund a payment (or part of it) through its gateway's refund API (Stripe, PayPal, Cryptomus).",
        discussion: """
            The amount is checked against the ledger first (the payment less every row taking it back): more than \
            is left is refused before the gateway is called. The gateway's answer is booked as the same fact, under \
            the same payment_id, as the webhook reporting that refund, so the row appears once whichever comes first; \
            a refund the gateway reports pending is booked by its webhook. The idempotency key (Stripe \
            Idempotency-Key, PayPal PayPal-Request-Id) is derived from the payment, the amount and the reason: the same \
            command run again gets the same refund back and cannot refund twice; a second refund of the same amount \
            needs another reason. Cryptomus refunds whole \
            invoices to the payer's wallet (--address) and books when Cryptomus reports refund_paid. \
            \(GatewayOperation.exitCodes)
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The payment_id of the credited row (PaymentIntent id, PayPal capture id, Cryptomus uuid).")
    var paymentID: String

    @Option(help: "Cents to refund (default: everything that is left).")
    var amount: Int64?

    @Option(help: "Why (required; recorded, and kept in the Stripe refund's metadata).")
    var reason: String

    @Option(help: "Cryptomus only: the payer's wallet address the refund is sent to.")
    var address: String?

    func validate() throws {
        try GatewayOperation.validate(reason: reason)
        if let amount, amount <= 0 { throw ValidationError("--amount must be a positive number of cents") }
    }

    func run() throws {
        try GatewayOperation.run("refund", target: paymentID, reason: reason, options: options) { console, _ in
            let outcome = try console.refund(
                paymentID: paymentID, amount: amount.map { Money(cents: $0) }, reason: reason, payerAddress: address)
            return GatewayOperation.Report(line: outcome.summary)
        }
    }
}

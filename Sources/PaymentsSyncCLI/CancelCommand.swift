import ArgumentParser
import PaymentsApp
import PaymentsCore

/// `payments-sync cancel <payment_id> --reason <text>`: cancels a Stripe payment an open review holds.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel an authorised Stripe payment held by an open review and close its session (canceled).",
        discussion: """
            The PaymentIntent is re-read and canceled only from requires_capture (the authorisation is released); \
            the session closes as the payment_intent.canceled webhook closes it. \(GatewayOperation.exitCodes)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var payment: ReviewedPaymentArguments

    func run() throws {
        try GatewayOperation.run(
            "cancel", target: payment.paymentID, reason: payment.reason, options: options
        ) { console, _ in
            GatewayOperation.Report(line: try console.cancel(reference: payment.paymentID).summary)
        }
    }
}

import ArgumentParser
import PaymentsApp
import PaymentsCore

/// `payments-sync capture <payment_id> --reason <text>`: captures a Stripe payment an open review holds.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture an authorised Stripe payment held by an open review (session status review).",
        discussion: """
            The PaymentIntent is re-read and captured only from requires_capture; the credit is booked through the \
            same path as the webhook and reconciliation capture. \(GatewayOperation.exitCodes)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var payment: ReviewedPaymentArguments

    func run() throws {
        try GatewayOperation.run(
            "capture", target: payment.paymentID, reason: payment.reason, options: options
        ) { console, _ in
            GatewayOperation.Report(line: try console.capture(reference: payment.paymentID).summary)
        }
    }
}

import ArgumentParser
import PaymentsCore

/// `payments-sandbox stripe …`: drives the Stripe emulator through the control API.
struct StripeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stripe", abstract: "Drive the Stripe emulator.",
        subcommands: [Pay.self, CloseReview.self, Refund.self, RefundUpdate.self, Dispute.self, Reinstate.self])

    /// Confirms a PaymentIntent as the customer would (→ requires_capture, webhook sent).
    struct Pay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pay a PaymentIntent (optionally placed in Radar review).")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The PaymentIntent id (pi_…).") var paymentIntent: String
        @Flag(help: "Open a Radar review on the charge.") var review = false

        func run() throws {
            try options.postAndPrint(
                "/control/stripe/pay", [("id", .string(paymentIntent)), ("review", .bool(review))])
        }
    }

    /// Closes the open Radar review.
    struct CloseReview: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "close-review", abstract: "Close a Radar review.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The PaymentIntent id (pi_…) or review id (prv_…).") var paymentIntent: String
        @Option(help: "approved | refunded_as_fraud | refunded | disputed | …") var reason: String

        func run() throws {
            try options.postAndPrint(
                "/control/stripe/close-review", [("id", .string(paymentIntent)), ("reason", .string(reason))])
        }
    }

    /// Refunds part or all of a captured payment.
    struct Refund: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refund a captured PaymentIntent.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The PaymentIntent id (pi_…).") var paymentIntent: String
        @Option(help: "Amount in cents (default: everything not yet refunded).") var amount: Int?
        @Option(help: "pending | succeeded") var status = "succeeded"

        func run() throws {
            var body: [(String, JSONValue)] = [("id", .string(paymentIntent)), ("status", .string(status))]
            if let amount { body.append(("amount", .int(amount))) }
            try options.postAndPrint("/control/stripe/refund", body)
        }
    }

    /// Moves a refund to a final status.
    struct RefundUpdate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refund-update", abstract: "Update a refund's status.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The refund id (re_…).") var refund: String
        @Option(help: "succeeded | failed | canceled") var status: String

        func run() throws {
            try options.postAndPrint(
                "/control/stripe/refund-update", [("id", .string(refund)), ("status", .string(status))])
        }
    }

    /// Opens a dispute and withdraws its funds.
    struct Dispute: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dispute a PaymentIntent's charge.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The PaymentIntent id (pi_…).") var paymentIntent: String
        @Option(help: "Amount in cents (default: the captured amount).") var amount: Int?

        func run() throws {
            var body: [(String, JSONValue)] = [("id", .string(paymentIntent))]
            if let amount { body.append(("amount", .int(amount))) }
            try options.postAndPrint("/control/stripe/dispute", body)
        }
    }

    /// Reinstates a dispute's funds (dispute won).
    struct Reinstate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reinstate a dispute's funds.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "The dispute id (du_…).") var dispute: String

        func run() throws {
            try options.postAndPrint("/control/stripe/reinstate", [("id", .string(dispute))])
        }
    }
}

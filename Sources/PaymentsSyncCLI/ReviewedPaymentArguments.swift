import ArgumentParser

/// What `capture` and `cancel` take: the payment a review holds and why the operator decides it.
struct ReviewedPaymentArguments: ParsableArguments {
    @Argument(help: "The PaymentIntent id (or the session's public_id).")
    var paymentID: String

    @Option(help: "Why (required; recorded).")
    var reason: String

    func validate() throws { try GatewayOperation.validate(reason: reason) }
}

import Logging
import PaymentsCore

/// Anypay (anypay.io): the client sends the signed form this backend builds to Anypay's merchant page, and Anypay's
/// signed notification (POST form or GET query) credits the session (research §3).
public struct AnypayGateway: PaymentGateway {
    /// The `gateway` value of Anypay's ledger rows, sessions and events.
    static let ledgerID = "anypay"
    /// Anypay's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "anypay", ledgerID: ledgerID, enabledKey: "ANYPAY_ENABLED", make: AnypayGateway.init)
    /// The description shown on Anypay's page (`desc`).
    static let paymentDescription = "Balance top-up"

    let configuration: AnypayConfiguration
    let webhook: AnypayWebhook

    public init(_ context: GatewayContext) throws {
        configuration = try AnypayConfiguration(context.config)
        webhook = AnypayWebhook(
            configuration: configuration,
            signature: AnypaySignature(merchantID: configuration.merchantID, secretKey: configuration.secretKey))
    }

    /// Anypay sends notifications by POST or GET, as the project's settings say: both are the same handler.
    /// `payments-sync events replay`: a stored delivery through the webhook path again.
    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }

    public var routes: [Route] {
        [
            Route(.post, "createPayment", access: .client, handler: createPayment),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
            Route(.get, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `anypay-createPayment {amount}`: one session linked to a fresh 15-digit `pay_id`, then the signed form (there
    /// is no Anypay call; the return URLs are the project's, so they are sent and signed empty).
    func createPayment(_ context: RequestContext) throws -> APIResponse {
        let (user, _, amount) = try context.paymentRequest(recaptchaActions: nil)
        return try SessionCreation.run(context, gateway: AnypayGateway.ledgerID, uid: user.uid, amount: amount) {
            session in
            let form = try AnypayPaymentForm(
                configuration: configuration, payID: AnypayPaymentForm.randomPayID(), amount: amount,
                description: AnypayGateway.paymentDescription)
            return SessionCreation.Created(
                externalID: form.payID, echoedReference: session.publicID, answer: APIResponse.json(form.json))
        }
    }
}

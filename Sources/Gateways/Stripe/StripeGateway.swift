import Logging
import PaymentsCore

/// Stripe: manual-capture PaymentIntents for the web client, verified webhooks, refunds and disputes.
public struct StripeGateway: PaymentGateway {
    /// The `gateway` value of Stripe's ledger rows, sessions and events.
    static let ledgerID = "stripe"
    /// Stripe's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "stripe", ledgerID: ledgerID, enabledKey: "STRIPE_ENABLED", make: StripeGateway.init)

    let configuration: StripeConfiguration
    let services: GatewayServices
    let intents: StripeIntents
    let webhook: StripeWebhook

    public init(_ context: GatewayContext) throws {
        configuration = try StripeConfiguration(context.config)
        services = context.services
        intents = StripeIntents(api: StripeAPI(configuration: configuration, service: services.outbound("stripe")))
        webhook = StripeWebhook(
            signature: StripeSignature(
                secrets: configuration.webhookSecrets, tolerance: configuration.webhookToleranceSeconds),
            intents: intents)
    }

    public var publicKeys: [(String, String)] { [("stripePublishableKey", configuration.publishableKey)] }

    public var routes: [Route] {
        [
            Route(.post, "getPaymentIntent", access: .client, handler: createIntent),
            Route(.post, "getPaymentIntentStatus", access: .client, handler: intentStatus),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `stripe-getPaymentIntent`: session first, then the PaymentIntent, then the link (DESIGN §1.1).
    func createIntent(_ context: RequestContext) throws -> APIResponse {
        let (user, _, amount) = try context.paymentRequest(recaptchaActions: [RecaptchaAction.stripePayment])
        return try SessionCreation.run(context, gateway: StripeGateway.ledgerID, uid: user.uid, amount: amount) {
            session in
            let intent = try intents.api.createPaymentIntent(session: session)
            guard intent.amount == amount.cents, let clientSecret = intent.clientSecret else {
                throw APIError(.gatewayUnavailable, "stripe answered an incomplete payment intent")
            }
            let answer = APIResponse.json(
                .object([
                    ("id", .string(intent.id)), ("clientSecret", .string(clientSecret)),
                    ("publicKey", .string(configuration.publishableKey)),
                ]))
            return SessionCreation.Created(
                externalID: intent.id, echoedReference: intent.metadataSessionID, answer: answer)
        }
    }

    /// `stripe-getPaymentIntentStatus`: the caller's own intent, re-read and, when authorised, captured now —
    /// the client calls this right after Stripe's redirect, usually before the webhook.
    func intentStatus(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let intentID = try PaymentInput.string(body, "payment_intent_id")
        try context.checkRecaptcha(body, actions: [RecaptchaAction.stripePayment])
        guard let session = try context.ledger.session(gateway: StripeGateway.ledgerID, externalID: intentID),
            session.uid == user.uid
        else { throw APIError(.notFound, "payment intent not found") }
        let status: String
        var result = SettlementResult(verdict: .open)
        do {
            let intent = try intents.api.retrievePaymentIntent(intentID)
            let settlement = Settlement(context, gateway: StripeGateway.ledgerID)
            result = try settlement.settle(intents.facts(intent, session: session, logger: context.logger))
            switch result.verdict {
            case .credited: status = try isFullyRefunded(intentID, ledger: context.ledger) ? "refunded" : "paid"
            case .review: status = "review"
            default: status = "unpaid"
            }
        } catch let error as APIError where error.code.status == 502 || error.code.status == 503 {
            status = try statusFromLedger(session, ledger: context.ledger)
        }
        return .json(.object([("status", .string(status))]))
    }

    private func isFullyRefunded(_ intentID: String, ledger: any Ledger) throws -> Bool {
        guard let credit = try ledger.entry(paymentID: intentID) else { return false }
        return try ledger.refundedTotal(of: intentID).cents >= credit.amount.cents
    }

    /// What the ledger alone can say when Stripe is unreachable.
    private func statusFromLedger(_ session: PaymentSession, ledger: any Ledger) throws -> String {
        if let intentID = session.externalID, try ledger.entry(paymentID: intentID) != nil {
            return try isFullyRefunded(intentID, ledger: ledger) ? "refunded" : "paid"
        }
        return session.status == .review ? "review" : "unpaid"
    }

    /// Reconciliation (DESIGN §8): an intent whose creation answer or webhook never arrived is re-read
    /// (a `creating` session is recovered through its create idempotency key) and settled like a webhook.
    public func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult {
        let intent: StripePaymentIntent
        if let externalID = session.externalID {
            intent = try intents.api.retrievePaymentIntent(externalID)
        } else {
            intent = try intents.api.createPaymentIntent(session: session)
            guard intent.metadataSessionID == session.publicID else { return .closed(.failed) }
            try ledger.attachExternalID(sessionID: session.id, externalID: intent.id, status: .pending)
        }
        let settlement = Settlement(ledger: ledger, gateway: StripeGateway.ledgerID, logger: logger)
        return try settlement.settle(intents.facts(intent, session: session, logger: logger)).reconcileResult
    }
}

import Logging
import PaymentsCore

/// Stripe: manual-capture PaymentIntents for the web client, verified webhooks, refunds and disputes.
public struct StripeGateway: PaymentGateway {
    let configuration: StripeConfiguration
    let services: GatewayServices
    let settlement: StripeSettlement
    let webhook: StripeWebhook

    public init(_ context: GatewayContext) throws {
        configuration = try StripeConfiguration(context.config)
        services = context.services
        settlement = StripeSettlement(
            api: StripeAPI(configuration: configuration, service: services.outbound("stripe")))
        webhook = StripeWebhook(
            signature: StripeSignature(
                secrets: configuration.webhookSecrets, tolerance: configuration.webhookToleranceSeconds),
            settlement: settlement)
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
        return try SessionCreation.run(context, gateway: StripeSettlement.ledgerID, uid: user.uid, amount: amount) {
            session in
            let intent = try settlement.api.createPaymentIntent(session: session)
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
        guard let session = try context.ledger.session(gateway: StripeSettlement.ledgerID, externalID: intentID),
            session.uid == user.uid
        else { throw APIError(.notFound, "payment intent not found") }
        let status: String
        do {
            let intent = try settlement.api.retrievePaymentIntent(intentID)
            let (outcome, ledgerOutcome) = try settlement.settle(
                intent, session: session, event: nil, ledger: context.ledger, logger: context.logger)
            context.push.take(ledgerOutcome)
            switch outcome {
            case .credited: status = try isFullyRefunded(intentID, ledger: context.ledger) ? "refunded" : "paid"
            case .review: status = "review"
            case .unpaid, .canceled, .ignored: status = "unpaid"
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
            intent = try settlement.api.retrievePaymentIntent(externalID)
        } else {
            intent = try settlement.api.createPaymentIntent(session: session)
            guard intent.metadataSessionID == session.publicID else { return .closed(.failed) }
            try ledger.attachExternalID(sessionID: session.id, externalID: intent.id, status: .pending)
        }
        let (outcome, _) = try settlement.settle(intent, session: session, event: nil, ledger: ledger, logger: logger)
        switch outcome {
        case .credited: return .credited
        case .canceled: return .closed(.canceled)
        case .review, .unpaid, .ignored: return .unchanged
        }
    }
}

import Logging
import PaymentsCore

/// The operator commands Stripe supports: refunds through `POST /v1/refunds`, capture and cancel of a
/// PaymentIntent held by an open review, and replay of stored events. Each books through the same facts as the
/// webhook, so the ledger row appears once whoever reports it first.
extension StripeGateway {
    public func refund(_ refund: OperatorRefund, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        let answer = try intents.api.createRefund(
            paymentIntent: refund.payment.paymentID, amount: refund.amount.cents, reason: refund.reason,
            idempotencyKey: refund.idempotencyKey)
        // The facts `refund.created` / `refund.updated` state for the same refund object: succeeded books it,
        // pending waits for the webhook, failed or canceled books nothing (or gives back what was booked).
        let facts = StripeWebhook.facts(refunds: [answer])
        let settlement = Settlement(ledger: ledger, gateway: StripeGateway.ledgerID, logger: logger)
        let result = facts.isEmpty ? SettlementResult(verdict: .open, outcome: "pending") : try settlement.settle(facts)
        return OperatorCommandOutcome(reference: answer.id, gatewayStatus: answer.status, settlement: result)
    }

    public func capture(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws
        -> OperatorCommandOutcome
    {
        let intent = try heldIntent(session)
        let settlement = Settlement(ledger: ledger, gateway: StripeGateway.ledgerID, logger: logger)
        // The reconciler's and the webhook's capture, minus the review check the operator is overriding.
        let result = try settlement.settle(intents.captured(intent, session: session, logger: logger))
        return OperatorCommandOutcome(reference: intent.id, gatewayStatus: "captured", settlement: result)
    }

    public func cancel(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        let intent = try heldIntent(session)
        let canceled = try intents.api.cancel(intent.id)
        guard canceled.status == "canceled" else {
            throw APIError(.gatewayUnavailable, "stripe answered the cancel with status \(canceled.status)")
        }
        // What `payment_intent.canceled` states: the session closes `canceled`.
        let settlement = Settlement(ledger: ledger, gateway: StripeGateway.ledgerID, logger: logger)
        let result = try settlement.settle([StripeIntents.fact(final: canceled, session: session)])
        return OperatorCommandOutcome(reference: canceled.id, gatewayStatus: canceled.status, settlement: result)
    }

    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }

    /// The session's PaymentIntent as Stripe holds it now; it must still wait for capture.
    private func heldIntent(_ session: PaymentSession) throws -> StripePaymentIntent {
        guard let intentID = session.externalID else {
            throw OperatorCommandError.refused("session \(session.publicID) has no PaymentIntent")
        }
        let intent = try intents.api.retrievePaymentIntent(intentID)
        guard intent.status == "requires_capture" else {
            throw OperatorCommandError.refused(
                "PaymentIntent \(intentID) is \(intent.status), not requires_capture; `payments-sync reconcile` settles it"
            )
        }
        return intent
    }
}

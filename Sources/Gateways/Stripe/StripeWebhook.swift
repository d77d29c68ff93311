import Logging
import PaymentsCore

/// Handles `stripe-handleWebhookEvents`: verify the signature, then state each event type's facts (DESIGN §1.2).
struct StripeWebhook: WebhookHandling {
    let signature: StripeSignature
    let intents: StripeIntents
    var api: StripeAPI { intents.api }
    var ledgerID: String { StripeGateway.ledgerID }
    /// Events acted on from the signed payload alone (no Stripe call), so a duplicate costs nothing extra.
    static let handledFromSignedPayload: Set<String> = ["payment_intent.succeeded", "payment_intent.canceled"]

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<StripeEvent> {
        let header = context.request.header("stripe-signature")
        do {
            try signature.verify(header: header, body: context.request.body, now: context.services.now)
        } catch {
            throw WebhookRejection(error)
        }
        guard let event = StripeEvent.parse(context.request.body) else {
            throw APIError(.badRequest, "body is not a Stripe event")
        }
        return WebhookDelivery(
            event: event, eventID: event.id, eventType: event.type,
            signatureHeaders: header.map { [("Stripe-Signature", $0)] } ?? [],
            checkFirst: !StripeWebhook.handledFromSignedPayload.contains(event.type))
    }

    /// A stored event, read as `verifiedDelivery` reads a delivery once its signature passed.
    func storedEvent(_ stored: WebhookEventRecord) throws -> StripeEvent? {
        guard let event = StripeEvent.parse(stored.payload) else {
            throw APIError(.badRequest, "stored payload is not a Stripe event")
        }
        return event
    }

    /// The facts of one verified event; everything it cannot act on is ignored (recorded and acknowledged).
    func facts(for event: StripeEvent, settlement: Settlement, logger: Logger) throws -> [SettlementFact] {
        let ledger = settlement.ledger
        switch event.type {
        case "payment_intent.amount_capturable_updated", "payment_intent.succeeded", "payment_intent.canceled":
            guard let signed = StripePaymentIntent(event.object) else { return [.ignored(reason: "ignored")] }
            if event.type == "payment_intent.succeeded" && signed.status == "succeeded" {
                // Credited from the signed payload; the engine reads the session the metadata names in the credit's
                // own transaction where it can (`NamedSessionCredit`), and ignores the payment if it is not that one.
                guard let reference = StripeIntents.reference(signed) else { return [.ignored(reason: "ignored")] }
                return [StripeIntents.paid(signed, payer: .named(reference))]
            }
            guard let session = try intents.session(for: signed, ledger: ledger) else {
                return [.ignored(reason: "ignored")]
            }
            if event.type == "payment_intent.amount_capturable_updated" {
                return try intents.facts(api.retrievePaymentIntent(signed.id), session: session, logger: logger)
            }
            // Final state: act on the signed payload itself.
            return [StripeIntents.fact(final: signed, session: session)]
        case "review.closed":
            guard let review = StripeReview(event.object), let intentID = review.paymentIntent else {
                return [.ignored(reason: "ignored")]
            }
            let current = try api.retrievePaymentIntent(intentID)
            guard let session = try intents.session(for: current, ledger: ledger) else {
                return [.ignored(reason: "ignored")]
            }
            guard current.status == "requires_capture" else {
                return try intents.facts(current, session: session, logger: logger)
            }
            if review.reason == "approved" { return try intents.captured(current, session: session, logger: logger) }
            try cancel(intentID)
            return [.sessionClosed(session, .canceled, reason: "review-rejected")]
        case "refund.created", "refund.updated", "refund.failed", "charge.refund.updated":
            guard let refundID = StripeRefund(event.object)?.id else { return [.ignored(reason: "ignored")] }
            // Events arrive out of order and are retried for days, so a snapshot may be stale (a `refund.created`
            // saying succeeded after the refund failed): book what Stripe holds now, never the event's copy.
            guard let current = try api.refund(refundID) else {
                return [
                    .needsOperator(
                        SettlementFact.OperatorNote(
                            reference: refundID, reason: "unusable-refund", detail: "not found at Stripe"))
                ]
            }
            return Self.facts(refunds: [current])
        case "charge.refunded":
            guard let charge = event.object["id"]?.stringValue else { return [.ignored(reason: "ignored")] }
            return Self.facts(refunds: try api.refunds(charge: charge))
        case "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated":
            guard let dispute = StripeDispute(event.object), let intentID = dispute.paymentIntent else {
                return [.ignored(reason: "ignored")]
            }
            let amount = ReportedMoney(cents: dispute.amount, currency: dispute.currency)
            guard event.type.hasSuffix("withdrawn") else {
                return [.disputeReinstated(disputeID: dispute.id, paymentID: intentID, amount: amount)]
            }
            return [
                .refunded(
                    SettlementFact.Refund(
                        id: dispute.id, paymentID: intentID, kind: .dispute, amount: .reported(amount)))
            ]
        default:
            return [.ignored(reason: "ignored")]
        }
    }

    /// A succeeded refund takes money back; a failed or canceled one gives back what was booked for it; pending
    /// ones state nothing yet. `refunds` must come from Stripe's API, never from an event payload.
    static func facts(refunds: [StripeRefund]) -> [SettlementFact] {
        refunds.compactMap { refund in
            guard let intentID = refund.paymentIntent else { return nil }
            switch refund.status {
            case "succeeded":
                return .refunded(
                    SettlementFact.Refund(
                        id: refund.id, paymentID: intentID, kind: .refund,
                        amount: .reported(ReportedMoney(cents: refund.amount, currency: refund.currency))))
            case "failed", "canceled":
                return .refundReversed(refundID: refund.id, paymentID: intentID)
            default:
                return nil
            }
        }
    }

    /// Cancels an uncaptured intent; one that is no longer cancelable counts as done.
    private func cancel(_ intentID: String) throws {
        do {
            _ = try api.cancel(intentID)
        } catch let failure as StripeAPI.Failure where failure.code == "payment_intent_unexpected_state" {
            return
        }
    }
}

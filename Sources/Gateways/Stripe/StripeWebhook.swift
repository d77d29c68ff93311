import Logging
import PaymentsCore

/// Handles `stripe-handleWebhookEvents`: verify, then apply each event type's effect once (DESIGN §1.2).
struct StripeWebhook: Sendable {
    let signature: StripeSignature
    let settlement: StripeSettlement
    var api: StripeAPI { settlement.api }
    static let ledgerID = StripeSettlement.ledgerID
    /// Events acted on from the signed payload alone (no Stripe call), so a duplicate costs nothing extra.
    static let handledFromSignedPayload: Set<String> = ["payment_intent.succeeded", "payment_intent.canceled"]

    func handle(_ context: RequestContext) throws -> APIResponse {
        let intake = WebhookIntake(context, gateway: StripeWebhook.ledgerID)
        let header = context.request.header("stripe-signature")
        do {
            try signature.verify(header: header, body: context.request.body, now: context.services.now)
        } catch {
            throw intake.rejected(error)
        }
        guard let json = try? JSONValue.parse(context.request.body), let event = StripeEvent(json) else {
            throw APIError(.badRequest, "body is not a Stripe event")
        }
        var logger = context.logger
        logger[metadataKey: "event.id"] = "\(event.id)"
        guard
            let record = try intake.record(
                eventID: event.id, eventType: event.type,
                signatureHeaders: header.map { [("Stripe-Signature", $0)] } ?? [],
                checkFirst: !StripeWebhook.handledFromSignedPayload.contains(event.type))
        else { return .received }
        return intake.acknowledge(try process(event, record: record, ledger: context.ledger, logger: logger))
    }

    /// Applies one verified event; everything it cannot act on is recorded and acknowledged.
    func process(_ event: StripeEvent, record: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws
        -> LedgerOutcome
    {
        switch event.type {
        case "payment_intent.amount_capturable_updated", "payment_intent.succeeded", "payment_intent.canceled":
            guard let signed = StripePaymentIntent(event.object),
                let session = try settlement.session(for: signed, ledger: ledger)
            else { return try ignore(record, ledger: ledger) }
            switch event.type {
            case "payment_intent.succeeded":
                // Final state: act on the signed payload itself.
                return try settlement.credit(signed, session: session, event: record, ledger: ledger).1
            case "payment_intent.canceled":
                return try settlement.record(
                    record, outcome: "canceled", ledger: ledger, session: session, status: .canceled)
            default:
                let current = try api.retrievePaymentIntent(signed.id)
                return try settlement.settle(current, session: session, event: record, ledger: ledger, logger: logger).1
            }
        case "review.closed":
            guard let review = StripeReview(event.object), let intentID = review.paymentIntent else {
                return try ignore(record, ledger: ledger)
            }
            let current = try api.retrievePaymentIntent(intentID)
            guard let session = try settlement.session(for: current, ledger: ledger) else {
                return try ignore(record, ledger: ledger)
            }
            guard current.status == "requires_capture" else {
                return try settlement.settle(current, session: session, event: record, ledger: ledger, logger: logger).1
            }
            if review.reason == "approved" {
                return try settlement.captureAndCredit(
                    current, session: session, event: record, ledger: ledger, logger: logger
                ).1
            }
            try cancel(intentID)
            return try settlement.record(
                record, outcome: "review-rejected", ledger: ledger, session: session, status: .canceled)
        case "refund.created", "refund.updated", "refund.failed", "charge.refund.updated":
            guard let refundID = StripeRefund(event.object)?.id else { return try ignore(record, ledger: ledger) }
            // Events arrive out of order and are retried for days, so a snapshot may be stale (a `refund.created`
            // saying succeeded after the refund failed): book what Stripe holds now, never the event's copy.
            guard let current = try api.refund(refundID) else {
                let item = OperatorItem(
                    gateway: StripeWebhook.ledgerID, reference: refundID, reason: "unusable-refund",
                    payload: "not found at Stripe")
                return try ledger.apply(LedgerEffect(event: record.withOutcome("unknown"), operatorItems: [item]))
            }
            return try bookRefunds([current], record: record, ledger: ledger)
        case "charge.refunded":
            guard let charge = event.object["id"]?.stringValue else { return try ignore(record, ledger: ledger) }
            return try bookRefunds(try api.refunds(charge: charge), record: record, ledger: ledger)
        case "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated":
            guard let dispute = StripeDispute(event.object), let intentID = dispute.paymentIntent else {
                return try ignore(record, ledger: ledger)
            }
            return try bookDispute(
                dispute, intentID: intentID, reinstated: event.type.hasSuffix("reinstated"),
                record: record, ledger: ledger)
        default:
            return try ignore(record, ledger: ledger)
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

    private func ignore(_ record: WebhookEventRecord, ledger: any Ledger) throws -> LedgerOutcome {
        try ledger.apply(LedgerEffect(event: record.withOutcome("ignored")))
    }

    /// One negative row per succeeded refund; a refund that fails or is canceled after booking gets its
    /// compensating `<re_…>-reversed` row. Pending refunds book nothing yet. `refunds` must come from Stripe's API,
    /// never from an event payload; one without a positive amount goes to an operator.
    func bookRefunds(_ refunds: [StripeRefund], record: WebhookEventRecord, ledger: any Ledger) throws -> LedgerOutcome
    {
        var entries: [LedgerEntry] = []
        var items: [OperatorItem] = []
        for refund in refunds {
            guard let intentID = refund.paymentIntent else { continue }
            guard refund.amount > 0 else {
                items.append(
                    OperatorItem(
                        gateway: StripeWebhook.ledgerID, reference: refund.id, reason: "unusable-refund",
                        payload: "status=\(refund.status) amount=\(refund.amount)"))
                continue
            }
            guard refund.currency == "usd" else {
                items.append(
                    OperatorItem(
                        gateway: StripeWebhook.ledgerID, reference: refund.id, reason: "non-usd-refund",
                        payload: "currency=\(refund.currency) amount=\(refund.amount)"))
                continue
            }
            switch refund.status {
            case "succeeded":
                guard let payment = try ledger.entry(paymentID: intentID) else {
                    throw LedgerError(.refundTargetMissing, "refund \(refund.id) arrived before its payment")
                }
                entries.append(
                    LedgerEntry(
                        paymentID: refund.id, uid: payment.uid, gateway: StripeWebhook.ledgerID,
                        amount: Money(cents: -refund.amount), sessionID: payment.sessionID, refundOf: intentID))
            case "failed", "canceled":
                guard let booked = try ledger.entry(paymentID: refund.id) else { continue }
                entries.append(
                    LedgerEntry(
                        paymentID: "\(refund.id)-reversed", uid: booked.uid, gateway: StripeWebhook.ledgerID,
                        amount: Money(cents: -booked.amount.cents), sessionID: booked.sessionID,
                        refundOf: intentID))
            default:
                continue
            }
        }
        let outcome = entries.isEmpty && items.isEmpty ? "no-change" : "booked"
        return try ledger.apply(
            LedgerEffect(event: record.withOutcome(outcome), entries: entries, operatorItems: items))
    }

    /// `funds_withdrawn` takes the disputed amount back under the `du_…` id; `funds_reinstated` returns it.
    func bookDispute(
        _ dispute: StripeDispute, intentID: String, reinstated: Bool, record: WebhookEventRecord,
        ledger: any Ledger
    ) throws -> LedgerOutcome {
        guard dispute.amount > 0 else {
            let item = OperatorItem(
                gateway: StripeWebhook.ledgerID, reference: dispute.id, reason: "unusable-dispute",
                payload: "amount=\(dispute.amount)")
            return try ledger.apply(LedgerEffect(event: record.withOutcome("operator"), operatorItems: [item]))
        }
        guard dispute.currency == "usd" else {
            let item = OperatorItem(
                gateway: StripeWebhook.ledgerID, reference: dispute.id, reason: "non-usd-dispute",
                payload: "currency=\(dispute.currency) amount=\(dispute.amount)")
            return try ledger.apply(LedgerEffect(event: record.withOutcome("non-usd"), operatorItems: [item]))
        }
        guard let payment = try ledger.entry(paymentID: intentID) else {
            throw LedgerError(.refundTargetMissing, "dispute \(dispute.id) arrived before its payment")
        }
        if reinstated, try ledger.entry(paymentID: dispute.id) == nil {
            // Nothing was withdrawn yet: retry later rather than credit money that was never taken back.
            throw LedgerError(.refundTargetMissing, "dispute \(dispute.id) reinstated before its withdrawal")
        }
        let entry = LedgerEntry(
            paymentID: reinstated ? "\(dispute.id)-reinstated" : dispute.id, uid: payment.uid,
            gateway: StripeWebhook.ledgerID,
            amount: Money(cents: reinstated ? dispute.amount : -dispute.amount), sessionID: payment.sessionID,
            refundOf: intentID)
        return try ledger.apply(
            LedgerEffect(event: record.withOutcome(reinstated ? "reinstated" : "withdrawn"), entries: [entry]))
    }
}

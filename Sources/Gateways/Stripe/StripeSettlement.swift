import Foundation
import Logging
import PaymentsCore

/// The one path from a PaymentIntent's state to the ledger, shared by the webhook, the status route and
/// reconciliation so that capture and credit happen the same way — and only once — whoever gets there first.
struct StripeSettlement: Sendable {
    /// Where a PaymentIntent ended up after settling.
    enum Outcome: String, Sendable {
        case credited, review, unpaid, canceled, ignored
    }

    static let ledgerID = "stripe"
    let api: StripeAPI

    /// The session this backend created for the intent, or nil when the intent is not ours or its metadata
    /// does not match what the server attached (uid, session id, external id).
    func session(for intent: StripePaymentIntent, ledger: any Ledger) throws -> PaymentSession? {
        guard let publicID = intent.metadataSessionID, let session = try ledger.session(publicID: publicID),
            session.gateway == StripeSettlement.ledgerID, intent.metadataUID == session.uid,
            session.externalID == nil || session.externalID == intent.id
        else { return nil }
        return session
    }

    /// Brings an intent to its final ledger state: captures an authorised intent without an open review,
    /// credits a succeeded one, closes a canceled one. `event` is recorded in the same transaction.
    func settle(
        _ intent: StripePaymentIntent, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger,
        logger: Logger
    ) throws -> (Outcome, LedgerOutcome) {
        switch intent.status {
        case "requires_capture":
            if try hasOpenReview(intent) {
                return (
                    .review, try record(event, outcome: "review", ledger: ledger, session: session, status: .review)
                )
            }
            return try captureAndCredit(intent, session: session, event: event, ledger: ledger, logger: logger)
        case "succeeded":
            return try credit(intent, session: session, event: event, ledger: ledger)
        case "canceled":
            return (
                .canceled, try record(event, outcome: "canceled", ledger: ledger, session: session, status: .canceled)
            )
        case "processing":
            return (.review, try record(event, outcome: "processing", ledger: ledger, session: nil, status: nil))
        default:
            return (.unpaid, try record(event, outcome: "not-final", ledger: ledger, session: nil, status: nil))
        }
    }

    /// Captures from `requires_capture` only, re-reading after a lost or failed answer and retrying with a new
    /// key suffix while the intent is still uncaptured (DESIGN §1.3).
    func captureAndCredit(
        _ intent: StripePaymentIntent, session: PaymentSession, event: WebhookEventRecord?,
        ledger: any Ledger, logger: Logger
    ) throws -> (Outcome, LedgerOutcome) {
        var current = intent
        var attempt = 1
        var inFlightWaits = 0
        while current.status == "requires_capture" && attempt <= 3 {
            do {
                current = try api.capture(current.id, attempt: attempt)
            } catch let failure as StripeAPI.Failure where failure.code == "payment_intent_unexpected_state" {
                current = try api.retrievePaymentIntent(current.id)
            } catch let failure as StripeAPI.Failure where failure.isIdempotencyConflict && inFlightWaits < 50 {
                // A concurrent delivery is capturing under the same key: wait for it, then the same key
                // replays its answer.
                inFlightWaits += 1
                usleep(100_000)
            } catch let error as APIError where error.code == .gatewayUnavailable {
                logger.warning("stripe capture answer lost, re-reading", metadata: ["payment.id": "\(current.id)"])
                current = try api.retrievePaymentIntent(current.id)
                attempt += 1
            }
        }
        switch current.status {
        case "succeeded":
            return try credit(current, session: session, event: event, ledger: ledger)
        case "canceled":
            return (
                .canceled, try record(event, outcome: "canceled", ledger: ledger, session: session, status: .canceled)
            )
        default:
            throw APIError(.gatewayUnavailable, "stripe capture did not complete")
        }
    }

    /// Credits `amount_received` once under the PaymentIntent id; non-USD money goes to an operator instead.
    func credit(_ intent: StripePaymentIntent, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger)
        throws -> (Outcome, LedgerOutcome)
    {
        guard intent.currency == "usd" else {
            let item = OperatorItem(
                gateway: StripeSettlement.ledgerID, reference: intent.id, reason: "non-usd-payment",
                payload: "currency=\(intent.currency) amount=\(intent.amountReceived)")
            var effect = LedgerEffect(operatorItems: [item])
            effect.event = event.map { $0.withOutcome("non-usd") }
            return (.ignored, try ledger.apply(effect))
        }
        guard intent.amountReceived > 0 else {
            return (.unpaid, try record(event, outcome: "nothing-received", ledger: ledger, session: nil, status: nil))
        }
        let entry = LedgerEntry(
            paymentID: intent.id, uid: session.uid, gateway: StripeSettlement.ledgerID,
            amount: Money(cents: intent.amountReceived), sessionID: session.id)
        let effect = LedgerEffect(
            event: event.map { $0.withOutcome("credited") }, entries: [entry], sessionUpdates: [(session.id, .paid)])
        return (.credited, try ledger.apply(effect))
    }

    /// Records an event (if any) with an optional session status change and no money.
    func record(
        _ event: WebhookEventRecord?, outcome: String, ledger: any Ledger, session: PaymentSession?,
        status: SessionStatus?
    ) throws -> LedgerOutcome {
        var effect = LedgerEffect(event: event.map { $0.withOutcome(outcome) })
        if let session, let status, session.status.isOpen { effect.sessionUpdates = [(session.id, status)] }
        if effect.event == nil && effect.sessionUpdates.isEmpty { return LedgerOutcome() }
        return try ledger.apply(effect)
    }

    func hasOpenReview(_ intent: StripePaymentIntent) throws -> Bool {
        guard let reviewID = intent.review else { return false }
        return try api.review(reviewID).open
    }
}

extension WebhookEventRecord {
    /// The same record with its outcome set.
    func withOutcome(_ outcome: String) -> WebhookEventRecord {
        var copy = self
        copy.outcome = outcome
        return copy
    }
}

import Foundation
import Logging
import PaymentsCore

/// What a PaymentIntent says, as settlement facts: shared by the webhook, the status route and reconciliation, so
/// capture happens the same way whoever gets there first. Capturing (with the review check) is Stripe's mechanics;
/// what gets booked is the engine's.
struct StripeIntents: Sendable {
    let api: StripeAPI

    /// The session this backend created for the intent, or nil when the intent is not ours or its metadata
    /// does not match what the server attached (uid, session id, external id).
    func session(for intent: StripePaymentIntent, ledger: any Ledger) throws -> PaymentSession? {
        try Self.reference(intent)?.resolve(in: ledger)
    }

    /// The session the intent's metadata names (this server set it when it created the intent): a Stripe session
    /// for that uid, carrying this intent's id or none yet.
    static func reference(_ intent: StripePaymentIntent) -> SessionReference? {
        guard let publicID = intent.metadataSessionID, let uid = intent.metadataUID else { return nil }
        return SessionReference(publicID: publicID, gateway: StripeGateway.ledgerID, uid: uid, externalID: intent.id)
    }

    /// Brings an intent to its final state: captures an authorised intent without an open review, then states it.
    func facts(_ intent: StripePaymentIntent, session: PaymentSession, logger: Logger) throws -> [SettlementFact] {
        switch intent.status {
        case "requires_capture":
            if try hasOpenReview(intent) { return [.review(reason: "review", session: session)] }
            return try captured(intent, session: session, logger: logger)
        case "succeeded", "canceled":
            return [Self.fact(final: intent, session: session)]
        case "processing":
            return [.review(reason: "processing", session: nil)]
        default:
            return [.open(reason: "not-final", session: nil)]
        }
    }

    /// A succeeded intent is paid (`amount_received`, as Stripe reports it); a canceled one closes its session.
    static func fact(final intent: StripePaymentIntent, session: PaymentSession) -> SettlementFact {
        guard intent.status == "succeeded" else { return .sessionClosed(session, .canceled, reason: "canceled") }
        return paid(intent, payer: .session(session))
    }

    /// A succeeded intent is paid what Stripe reports as received.
    static func paid(_ intent: StripePaymentIntent, payer: SettlementFact.Payment.Payer) -> SettlementFact {
        .paid(
            SettlementFact.Payment(
                id: intent.id, payer: payer,
                amount: ReportedMoney(cents: intent.amountReceived, currency: intent.currency), rule: .reported))
    }

    /// Captures from `requires_capture` only, re-reading after a lost or failed answer and retrying with a new
    /// key suffix while the intent is still uncaptured (DESIGN §1.3).
    func captured(_ intent: StripePaymentIntent, session: PaymentSession, logger: Logger) throws -> [SettlementFact] {
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
        guard current.status == "succeeded" || current.status == "canceled" else {
            throw APIError(.gatewayUnavailable, "stripe capture did not complete")
        }
        return [Self.fact(final: current, session: session)]
    }

    func hasOpenReview(_ intent: StripePaymentIntent) throws -> Bool {
        guard let reviewID = intent.review else { return false }
        return try api.review(reviewID).open
    }
}

import Logging

/// The bookkeeping every webhook handler shares: rejection, the duplicate fast path, the event record and
/// the acknowledgement (DESIGN §1.2). Verification itself stays with each gateway.
public struct WebhookIntake {
    public let context: RequestContext
    /// The ledger id the events are recorded under.
    public let gateway: String

    public init(_ context: RequestContext, gateway: String) {
        self.context = context
        self.gateway = gateway
    }

    /// A refused delivery: logged and counted, never stored, answered 401 (or 403 for a source outside the
    /// allow-list).
    public func rejected(_ reason: WebhookRejection) -> APIError {
        context.logger.notice("\(gateway) webhook rejected", metadata: ["webhook.rejection": "\(reason)"])
        context.services.metrics.countWebhook(gateway: gateway, outcome: .rejected)
        switch reason.kind {
        case .unverified: return APIError(.unauthorized, "webhook signature verification failed")
        case .forbiddenSource: return APIError(.forbidden, "webhook source address is not allowed")
        }
    }

    /// The record to store with the event's effect, or nil when the event was already processed.
    ///
    /// `checkFirst: false` skips the look-up for events whose handling calls no gateway: the event's unique key in
    /// the applying transaction still turns a duplicate into a no-op, one query cheaper on the hot path.
    public func record(
        eventID: String, eventType: String, signatureHeaders: [(String, String)], checkFirst: Bool = true,
        payload: [UInt8]? = nil
    ) throws -> WebhookEventRecord? {
        context.annotations.eventID = eventID
        if checkFirst, try context.ledger.eventExists(gateway: gateway, eventID: eventID) {
            context.services.metrics.countWebhook(gateway: gateway, outcome: .duplicate)
            return nil
        }
        return WebhookEventRecord(
            gateway: gateway, eventID: eventID, eventType: eventType, payload: payload ?? context.request.body,
            headers: signatureHeaders, outcome: "recorded")
    }

    /// Counts the outcome and answers with `response` (the engine has already handed the new rows to the push).
    public func acknowledge(_ outcome: LedgerOutcome, response: APIResponse = .received) -> APIResponse {
        context.services.metrics.countWebhook(
            gateway: gateway, outcome: outcome.duplicateEvent ? .duplicate : .processed)
        return response
    }
}

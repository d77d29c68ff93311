import Logging

/// A gateway's webhook, as the settlement engine drives it: verify and identify the delivery, state its facts,
/// answer the way the gateway expects. The bookkeeping between (duplicate fast path, the event record, one ledger
/// transaction, metrics) is `handle`'s, shared by every gateway.
public protocol WebhookHandling: Sendable {
    /// The gateway's parsed event.
    associatedtype Event

    /// The ledger id events and rows are recorded under.
    var ledgerID: String { get }

    /// Checks that the delivery is the gateway's own and reads its event.
    ///
    /// Called first, before anything is read or stored.
    /// - Throws: `WebhookRejection` when it is not the gateway's (answered 401, never stored); `APIError` 400 when
    ///   the verified body is not an event.
    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<Event>

    /// The facts the event states, re-read from the gateway where the body alone cannot be trusted.
    ///
    /// Called once per new event (not for duplicates found by the fast path).
    /// - Throws: `WebhookRejection` when the gateway's API contradicts the body (401, nothing stored); any other
    ///   error (gateway unreachable, not confirmed yet) is answered 5xx so the gateway retries.
    func facts(for event: Event, settlement: Settlement, logger: Logger) throws -> [SettlementFact]

    /// The body the gateway expects once the delivery is settled or found to be a duplicate (`.received` unless the
    /// gateway wants another text, such as `<m_orderid>|success` or `OK`).
    func acknowledgement(for event: Event, result: SettlementResult) -> APIResponse

    /// How a refused delivery is answered: by default the JSON error (`error`: 401, or 403 for the allow-list) is
    /// thrown; a gateway that expects another body (Payeer's `<m_orderid>|error`) returns it with `error`'s status.
    func rejectionResponse(_ error: APIError, context: RequestContext) throws -> APIResponse

    /// Reads the event of a stored delivery without verifying it again: only verified deliveries are stored, and a
    /// signature's time window or the sender's address cannot be checked again later. Nil (the default) when the
    /// gateway does not replay events.
    /// - Throws: `APIError` 400 when the stored bytes are not an event.
    func storedEvent(_ stored: WebhookEventRecord) throws -> Event?
}

/// A verified delivery: its event, the identity it is deduplicated by, and the headers kept for audit.
public struct WebhookDelivery<Event> {
    public var event: Event
    /// Unique per gateway; a second delivery with the same id changes nothing.
    public var eventID: String
    public var eventType: String
    /// Signature headers only, never `Authorization`.
    public var signatureHeaders: [(String, String)]
    /// Look the event id up before translating; false for events handled from the signed payload alone (no
    /// gateway call), whose duplicates the applying transaction's unique key turns into no-ops one query cheaper.
    public var checkFirst: Bool
    /// What is kept for audit as the delivery's raw payload; nil keeps the request body (a delivery sent as GET
    /// query fields keeps those fields, form-encoded).
    public var payload: [UInt8]?

    public init(
        event: Event, eventID: String, eventType: String, signatureHeaders: [(String, String)] = [],
        checkFirst: Bool = true, payload: [UInt8]? = nil
    ) {
        self.event = event
        self.eventID = eventID
        self.eventType = eventType
        self.signatureHeaders = signatureHeaders
        self.checkFirst = checkFirst
        self.payload = payload
    }
}

extension WebhookHandling {
    public func acknowledgement(for event: Event, result: SettlementResult) -> APIResponse { .received }

    public func rejectionResponse(_ error: APIError, context: RequestContext) throws -> APIResponse { throw error }

    public func storedEvent(_ stored: WebhookEventRecord) throws -> Event? { nil }

    /// `payments-sync events replay`: the stored event's facts, stated now (re-read from the gateway where the
    /// webhook path re-reads) and settled without an event row, so every money effect meets its unique key again.
    public func replay(_ stored: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        guard let event = try storedEvent(stored) else {
            throw OperatorCommandError.notSupported(command: "events replay", gateway: stored.gateway)
        }
        var logger = logger
        logger[metadataKey: "event.id"] = .string(stored.eventID)
        let settlement = Settlement(ledger: ledger, gateway: ledgerID, logger: logger)
        return try settlement.settle(facts(for: event, settlement: settlement, logger: logger), replay: true)
    }

    /// The webhook route: verify, skip duplicates, translate into facts, settle them with the event in one
    /// transaction, acknowledge (DESIGN §1.2).
    public func handle(_ context: RequestContext) throws -> APIResponse {
        let intake = WebhookIntake(context, gateway: ledgerID)
        do {
            let delivery = try verifiedDelivery(context)
            var logger = context.logger
            logger[metadataKey: "event.id"] = .string(delivery.eventID)
            guard
                let record = try intake.record(
                    eventID: delivery.eventID, eventType: delivery.eventType,
                    signatureHeaders: delivery.signatureHeaders, checkFirst: delivery.checkFirst,
                    payload: delivery.payload)
            else { return acknowledgement(for: delivery.event, result: SettlementResult(verdict: .duplicate)) }
            let settlement = Settlement(context, gateway: ledgerID, logger: logger)
            let facts = try facts(for: delivery.event, settlement: settlement, logger: logger)
            let result = try settlement.settle(facts, event: record)
            return intake.acknowledge(result.ledger, response: acknowledgement(for: delivery.event, result: result))
        } catch let rejection as WebhookRejection {
            return try rejectionResponse(intake.rejected(rejection), context: context)
        }
    }
}

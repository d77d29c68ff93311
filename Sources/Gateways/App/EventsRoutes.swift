import PaymentsCore

/// `app-createEventsTicket` and `app-authorizeEvents`: who may follow a payment session's live status (issue 12).
///
/// nginx's nchan module holds the subscriber connections at `/api/events/<public_id>`; before admitting one it asks
/// `app-authorizeEvents` (`nchan_authorize_request`, from an internal location that sets `X-Events-Hook: authorize`,
/// the subscriber's URI in `X-Original-URI` and nchan's subscriber type in `X-Events-Subscriber`), and when a
/// streaming subscriber leaves it says so (`nchan_unsubscribe_request`, `X-Events-Hook: unsubscribe`). Without
/// `EVENTS_TICKET_SECRET` both routes answer 404.
struct EventsRoutes: Sendable {
    let signer: EventsTicketSigner?
    let subscriptions: SubscriptionCounter
    let services: GatewayServices

    /// Ledger ids whose own session ids a client may name instead of the `public_id` (DESIGN §2): the PaymentIntent
    /// id, the PayPal order id and the Cryptomus invoice uuid.
    static let externalIDGateways = ["stripe", "paypal", "cryptomus"]
    /// Subscriber types nchan reports an unsubscribe for, and so the only ones counted per uid.
    static let streamingSubscribers: Set<String> = ["eventsource", "websocket"]

    init(_ context: GatewayContext) throws {
        let configuration = try EventsConfiguration(context.config)
        signer = configuration.ticketSecret.map {
            EventsTicketSigner(secret: $0, lifetime: configuration.ticketSeconds)
        }
        subscriptions = SubscriptionCounter(limit: configuration.maxPerUID)
        services = context.services
    }

    var routes: [Route] {
        [
            Route(.post, "createEventsTicket", access: .client, handler: createTicket),
            Route(.get, "authorizeEvents", access: .open, handler: authorize),
        ]
    }

    /// `{session_id}` → `{url, expires_in}` for the caller's own session; anyone else's, or none, is 404.
    func createTicket(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let signer = try enabledSigner()
        guard let reference = try context.jsonBody()["session_id"]?.stringValue,
            (1...255).contains(reference.utf8.count)
        else { throw APIError.badField("session_id", "must be a session id") }
        guard let session = try Self.session(named: reference, ledger: context.ledger), session.uid == user.uid else {
            throw APIError(.notFound, "no such payment session")
        }
        let ticket = signer.issue(uid: user.uid, sessionID: session.publicID, now: services.now)
        return .json(
            .object([
                ("url", .string("/api/events/\(session.publicID)?ticket=\(ticket.text)")),
                ("expires_in", .int(signer.lifetime)),
            ]))
    }

    /// nchan's authorize and unsubscribe hooks: 200 admits (or acknowledges); 401 for a missing, malformed, forged
    /// or expired ticket, 403 for a ticket of another session or beyond `EVENTS_MAX_PER_UID` open subscriptions of its
    /// user (the contract of DESIGN §2 allows only 401 and 403 here).
    func authorize(_ context: RequestContext) throws -> APIResponse {
        let signer = try enabledSigner()
        let request = context.request
        let (channel, query) = Self.subscription(in: request.header("x-original-uri") ?? "")
        let ticketText = query["ticket"] ?? ""
        switch request.header("x-events-hook") {
        case "unsubscribe":
            subscriptions.close(key: ticketText)
            return .json(.object([]))
        case "authorize":
            break
        default:
            // Only nginx's internal locations call this route, and they always say which hook they are.
            throw APIError(.notFound, "no such route")
        }
        guard let ticket = EventsTicket(ticketText) else {
            throw APIError(.unauthorized, "a valid events ticket is required")
        }
        let now = services.now
        // An expired ticket is refused without a database read.
        let owner = ticket.expiresAt < now ? nil : try context.ledger.session(publicID: ticket.sessionID)?.uid
        do {
            try signer.check(ticket, owner: owner, channel: channel ?? "", now: now)
        } catch .otherSession {
            throw APIError(.forbidden, "the ticket is for another payment session")
        } catch {
            throw APIError(.unauthorized, "the events ticket is invalid or expired")
        }
        if let owner, Self.streamingSubscribers.contains(request.header("x-events-subscriber") ?? ""),
            !subscriptions.open(uid: owner, key: ticketText, now: now)
        {
            throw APIError(.forbidden, "at most \(subscriptions.limit) open subscriptions per user")
        }
        return .json(.object([]))
    }

    private func enabledSigner() throws(APIError) -> EventsTicketSigner {
        guard let signer else { throw APIError(.notFound, "live payment status is not configured") }
        return signer
    }

    /// The session a client names by its `public_id` or by the gateway's own id for it.
    static func session(named reference: String, ledger: any Ledger) throws -> PaymentSession? {
        if let session = try ledger.session(publicID: reference) { return session }
        for gateway in externalIDGateways {
            if let session = try ledger.session(gateway: gateway, externalID: reference) { return session }
        }
        return nil
    }

    /// The channel (session id) and decoded query of a subscriber URI `/api/events/<id>?ticket=…`; the channel is nil
    /// for any other path.
    static func subscription(in uri: String) -> (channel: String?, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first ?? ""
        let query = parts.count > 1 ? APIRequest.parseQuery(String(parts[1])) : [:]
        let prefix = "/api/events/"
        guard path.hasPrefix(prefix) else { return (nil, query) }
        let channel = path.dropFirst(prefix.count)
        return (EventsTicket.isSessionID(channel) ? String(channel) : nil, query)
    }
}

/// Live payment status settings (DESIGN §9, issue 12), read once at start-up.
public struct EventsConfiguration: Sendable {
    /// The nchan publisher base on loopback; messages go to `POST {publishURL}/<public_id>`. Nil: nothing published.
    public var publishURL: String?
    /// Signs subscription tickets; nil turns `app-createEventsTicket` and `app-authorizeEvents` off (404).
    public var ticketSecret: Secret?
    /// How long a ticket lets its holder subscribe.
    public var ticketSeconds: Int
    /// Open streaming subscriptions (EventSource, WebSocket) one uid may hold at once.
    public var maxPerUID: Int

    /// The shortest `EVENTS_TICKET_SECRET` accepted: 32 bytes, the HMAC-SHA256 output size.
    public static let minimumSecretLength = 32

    public init(publishURL: String? = nil, ticketSecret: Secret? = nil, ticketSeconds: Int = 300, maxPerUID: Int = 5) {
        self.publishURL = publishURL
        self.ticketSecret = ticketSecret
        self.ticketSeconds = ticketSeconds
        self.maxPerUID = maxPerUID
    }

    /// Reads `EVENTS_PUBLISH_URL` (empty: no publishing), `EVENTS_TICKET_SECRET` (empty: tickets off; else at least
    /// 32 characters), `EVENTS_TICKET_SECONDS` (300, 10...3600) and `EVENTS_MAX_PER_UID` (5, 1...1000).
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let publishURL = config.optional("EVENTS_PUBLISH_URL") == nil ? nil : try config.url("EVENTS_PUBLISH_URL")
        let secret = config.optional("EVENTS_TICKET_SECRET")
        if let secret, secret.utf8.count < Self.minimumSecretLength {
            throw ConfigurationError(
                variable: "EVENTS_TICKET_SECRET", problem: "must be at least \(Self.minimumSecretLength) characters")
        }
        self.init(
            publishURL: publishURL, ticketSecret: secret.map(Secret.init),
            ticketSeconds: try config.int("EVENTS_TICKET_SECONDS", default: 300, range: 10...3600),
            maxPerUID: try config.int("EVENTS_MAX_PER_UID", default: 5, range: 1...1000))
    }
}

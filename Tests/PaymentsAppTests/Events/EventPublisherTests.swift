import Logging
import PaymentsApp
import PaymentsCore
import Testing

/// The session event publisher: resolved messages posted in order to `{EVENTS_PUBLISH_URL}/<public_id>`, failures
/// counted and never thrown, nothing at all without a publish URL.
@Suite struct EventPublisherTests {
    static let session = PaymentSession(
        id: 7, publicID: "0b9f7a52-8d55-4c1e-9a43-1f2e3d4c5b6a", gateway: "stripe", externalID: "pi_1", uid: "u1",
        amount: Money(cents: 1500), status: .paid, createdAt: 0)

    static func failures(_ metrics: Metrics) -> String? {
        metrics.render().split(separator: "\n").first { $0.hasPrefix("payments_event_publish_failures_total ") }
            .map { String($0.split(separator: " ")[1]) }
    }

    func publisher(
        _ transport: ScriptedTransport, metrics: Metrics, url: String? = "http://127.0.0.1:1/pub", capacity: Int = 8
    ) -> EventPublisher {
        EventPublisher(
            configuration: EventsConfiguration(publishURL: url), transport: transport, metrics: metrics,
            logger: Logger(label: "test"), capacity: capacity, timeoutSeconds: 0.5)
    }

    @Test func postsEachChangeInOrderAndCountsRefusals() throws {
        let transport = ScriptedTransport([.answer(201), .answer(500), .fail(.timeout)])
        let metrics = Metrics()
        let events = publisher(transport, metrics: metrics)
        events.start()
        events.publish(
            [
                SessionChange(sessionID: 7, status: .pending, at: 10),
                SessionChange(sessionID: 7, status: .paid, paymentID: "pi_1", amount: Money(cents: 1500), at: 11),
            ]
        ) { id in id == 7 ? Self.session : nil }
        events.publish([SessionChange(sessionID: 7, status: .refunded, at: 12)]) { _ in Self.session }
        events.shutdown(deadlineSeconds: 5)
        let requests = transport.requests
        #expect(requests.map(\.url) == Array(repeating: "http://127.0.0.1:1/pub/\(Self.session.publicID)", count: 3))
        #expect(requests.allSatisfy { $0.method == "POST" && $0.timeout == 0.5 })
        #expect(requests.map { $0.bodyJSON?["status"]?.stringValue } == ["pending", "paid", "refunded"])
        #expect(requests[1].bodyJSON?["payment_id"]?.stringValue == "pi_1")
        #expect(requests[0].bodyJSON?["amount"]?.int64Value == 1500)
        #expect(Self.failures(metrics) == "2", "a 500 and a timeout")
    }

    /// A change with its own status and amount, of a session whose `public_id` the request already knows, is posted
    /// without reading the session, and exactly as the read would have built it; any other change is read.
    @Test func aChangeCarryingStatusAndAmountOfAKnownSessionNeedsNoRead() throws {
        let transport = ScriptedTransport([.answer(201), .answer(201), .answer(201), .answer(201)])
        let events = publisher(transport, metrics: Metrics())
        events.start()
        let complete = SessionChange(sessionID: 7, status: .paid, paymentID: "pi_1", amount: Money(cents: 1500), at: 11)
        let statusOnly = SessionChange(sessionID: 7, status: .refunded, at: 12)
        let unknownSession = SessionChange(sessionID: 9, status: .paid, amount: Money(cents: 5), at: 13)
        var reads: [Int64] = []
        events.publish([complete, statusOnly, unknownSession], publicIDs: [7: Self.session.publicID]) { id in
            reads.append(id)
            return id == 7
                ? Self.session
                : PaymentSession(
                    id: 9, publicID: "s-9", gateway: "stripe", externalID: nil, uid: "u9", amount: Money(cents: 5),
                    status: .paid, createdAt: 0)
        }
        #expect(reads == [7, 9], "only the change without an amount and the unknown session are read")
        events.publish([complete]) { _ in Self.session }
        events.shutdown(deadlineSeconds: 5)
        let requests = transport.requests
        #expect(requests.count == 4)
        #expect(requests[0].body == SessionEventMessage(complete, session: Self.session).body)
        #expect(requests[0].body == requests[3].body, "the same body as when the session is read")
        #expect(requests[0].url == "http://127.0.0.1:1/pub/\(Self.session.publicID)")
        #expect(requests[2].url == "http://127.0.0.1:1/pub/s-9")
    }

    @Test func aFullQueueAndAnUnreadableSessionAreCountedNotThrown() {
        let transport = ScriptedTransport([])
        let metrics = Metrics()
        let events = publisher(transport, metrics: metrics, capacity: 2)
        // Not started: the queue (capacity 2) fills up.
        let changes = (0..<3).map { SessionChange(sessionID: 7, status: .pending, at: Int64($0)) }
        events.publish(changes) { _ in Self.session }
        events.publish([SessionChange(sessionID: 8, status: .paid, at: 0)]) { _ in
            throw LedgerError(.unavailable, "gone")
        }
        #expect(Self.failures(metrics) == "2")
    }

    @Test func withoutAPublishURLNothingIsPosted() {
        let transport = ScriptedTransport([])
        let metrics = Metrics()
        let events = publisher(transport, metrics: metrics, url: nil)
        #expect(!events.isEnabled)
        events.start()
        events.publish([SessionChange(sessionID: 7, status: .paid, at: 0)]) { _ in Self.session }
        events.shutdown(deadlineSeconds: 1)
        #expect(transport.requests.isEmpty)
        #expect(Self.failures(metrics) == "0")
    }
}

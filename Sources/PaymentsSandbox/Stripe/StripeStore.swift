import PaymentsCore

/// Everything the Stripe emulator remembers; mutated only under the emulator's lock.
struct StripeStore: Sendable, EventEmittingStore {
    /// A stored idempotent result: the request fingerprint and the exact answer.
    struct IdempotentResult: Sendable {
        let fingerprint: String
        let response: SandboxResponse
    }

    /// A switch for the next `remaining` calls of one endpoint (of one PaymentIntent when `intent` is set).
    struct Armed<Value: Sendable>: Sendable {
        var remaining: Int
        let value: Value
        var intent: String? = nil
    }

    /// An injected failure: the answer's status (0: the connection is closed unanswered), and whether the call is
    /// performed first and its answer then lost.
    struct Failure: Sendable {
        let status: Int
        var after = false
    }

    var intents: [String: StripePaymentIntent] = [:]
    var charges: [String: StripeCharge] = [:]
    var refunds: [String: StripeRefund] = [:]
    var refundOrder: [String] = []
    var reviews: [String: StripeReview] = [:]
    var disputes: [String: StripeDispute] = [:]
    var events: [StripeEventRecord] = []
    var eventIndex: [String: Int] = [:]
    var failures: [String: Armed<Failure>] = [:]
    /// Milliseconds the next calls wait before they are performed.
    var latencies: [String: Armed<Int>] = [:]
    /// Capture calls that reached the API per PaymentIntent (before any injected failure or latency).
    var captureAttempts: [String: Int] = [:]
    /// PaymentIntents whose events are held (recorded, not delivered) until released in a chosen order.
    var holding: Set<String> = []
    /// Held events, oldest first.
    var held: [StripeEventRecord] = []
    var idempotency: [String: IdempotentResult] = [:]
    var inFlight: Set<String> = []
    /// Events emitted since the last `takeOutbox()`, to hand to the dispatcher once the lock is released.
    var outbox: [StripeEventRecord] = []
    /// Ids of events emitted by the current control call (cleared by the control wrapper).
    var recentEventIDs: [String] = []

    /// Records an event; queues it for delivery unless `deliver` is false or there is no webhook target.
    mutating func emit(_ type: String, paymentIntent: String, object: JSONValue, deliver: Bool, hasTarget: Bool) {
        let status = !deliver ? "not_sent" : (hasTarget ? "pending" : "no_target")
        let record = StripeEventRecord(
            type: type, paymentIntent: paymentIntent, object: object, created: SocketIO.now(), deliveryStatus: status)
        eventIndex[record.id] = events.count
        events.append(record)
        recentEventIDs.append(record.id)
        if deliver, hasTarget { outbox.append(record) }
    }

    /// Hands over the events waiting for delivery.
    mutating func takeOutbox() -> [StripeEventRecord] {
        defer { outbox.removeAll() }
        return outbox
    }

    /// Consumes one use of the switch in `table` for `endpoint` called for `intent` (nil: a call naming no
    /// PaymentIntent), returning its value.
    static func take<Value>(_ table: inout [String: Armed<Value>], _ endpoint: String, intent: String?) -> Value? {
        guard var armed = table[endpoint], armed.remaining > 0, armed.intent == nil || armed.intent == intent else {
            return nil
        }
        armed.remaining -= 1
        table[endpoint] = armed.remaining > 0 ? armed : nil
        return armed.value
    }

    /// Hands over the events waiting for delivery, keeping back (as `held`) those of PaymentIntents being held.
    mutating func takeDeliverable() -> [StripeEventRecord] {
        let ready = takeOutbox()
        var deliverable: [StripeEventRecord] = []
        for record in ready {
            if holding.contains(record.paymentIntent) {
                held.append(record)
                if let index = eventIndex[record.id], events.indices.contains(index) {
                    events[index].deliveryStatus = "held"
                }
            } else {
                deliverable.append(record)
            }
        }
        return deliverable
    }

    /// Records a delivery attempt's outcome.
    mutating func recordDelivery(_ report: WebhookDispatcher.Report) {
        guard let index = eventIndex[report.eventID], events.indices.contains(index) else { return }
        events[index].deliveryStatus = report.status
        events[index].attempts += report.attemptsDelta
        events[index].lastHTTPStatus = report.httpStatus
        events[index].lastError = report.error
    }

    /// The intent and its charge, both of which must exist.
    func paidIntent(_ id: String) throws(StripeError) -> (StripePaymentIntent, StripeCharge) {
        guard let intent = intents[id] else { throw StripeError.noSuch("payment_intent", id) }
        guard let chargeID = intent.latestCharge, let charge = charges[chargeID] else {
            throw StripeError(message: "PaymentIntent \(id) has no charge yet (status \(intent.status)).")
        }
        return (intent, charge)
    }

    /// Sum of refunds that count against the charge (pending and succeeded).
    func reservedRefunds(charge: String) -> Int64 {
        refunds.values.filter { $0.charge == charge && ($0.status == "pending" || $0.status == "succeeded") }
            .reduce(0) { $0 + $1.amount }
    }
}

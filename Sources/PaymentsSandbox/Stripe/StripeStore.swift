import PaymentsCore

/// Everything the Stripe emulator remembers; mutated only under the emulator's lock.
struct StripeStore: Sendable, EventEmittingStore {
    /// A stored idempotent result: the request fingerprint and the exact answer.
    struct IdempotentResult: Sendable {
        let fingerprint: String
        let response: SandboxResponse
    }

    /// An injected failure for the next `remaining` calls of one endpoint.
    struct Failure: Sendable {
        var remaining: Int
        let status: Int
    }

    var intents: [String: StripePaymentIntent] = [:]
    var charges: [String: StripeCharge] = [:]
    var refunds: [String: StripeRefund] = [:]
    var refundOrder: [String] = []
    var reviews: [String: StripeReview] = [:]
    var disputes: [String: StripeDispute] = [:]
    var events: [StripeEventRecord] = []
    var eventIndex: [String: Int] = [:]
    var failures: [String: Failure] = [:]
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

    /// Consumes one injected failure for `endpoint`, returning its status.
    mutating func takeFailure(_ endpoint: String) -> Int? {
        guard var failure = failures[endpoint], failure.remaining > 0 else { return nil }
        failure.remaining -= 1
        failures[endpoint] = failure.remaining > 0 ? failure : nil
        return failure.status
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

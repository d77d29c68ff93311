import Foundation
import PaymentsCore

/// Everything the PayPal emulator remembers; mutated only under the emulator's lock.
struct PayPalStore: Sendable, EventEmittingStore {
    /// Access token → unix expiry.
    var tokens: [String: Int64] = [:]
    var tokenTTL: Int64 = 32_400
    var tokenRequests = 0
    /// How long `POST /v1/oauth2/token` waits before answering (0: at once).
    var tokenHangMilliseconds = 0
    var orders: [String: PayPalSandboxOrder] = [:]
    var orderSequence: [String] = []
    var captures: [String: PayPalSandboxCapture] = [:]
    var refunds: [String: PayPalSandboxRefund] = [:]
    /// `PayPal-Request-Id` → order id, per operation.
    var createRequests: [String: String] = [:]
    var captureRequests: [String: String] = [:]
    /// `PayPal-Request-Id` of a refund call → the refund it made, so a retried call gets the same refund back.
    var refundRequests: [String: String] = [:]
    var captureCalls: [String: Int] = [:]
    /// The `PayPal-Request-Id` of every capture call per order, in arrival order (replays included).
    var captureRequestIDs: [String: [String]] = [:]
    var events: [PayPalEventRecord] = []
    var eventIndex: [String: Int] = [:]
    /// Events waiting to be handed to the sender once the lock is released.
    var outbox: [PayPalEventRecord] = []
    /// Ids emitted by the current control call.
    var recentEventIDs: [String] = []
    /// Certificate downloads by name (unknown names included), to show that a refused URL was never fetched.
    var certificateFetches: [String: Int] = [:]
    /// Requests without an `Authorization` header on any path: every certificate download the responder attempted.
    var unauthenticatedRequests = 0

    /// Records an event; queues it for delivery when `deliver` and a target exists.
    mutating func emit(
        _ type: String, orderID: String, resourceType: String, resource: JSONValue, summary: String, base: String,
        deliver: Bool, hasTarget: Bool
    ) {
        let status = !deliver ? "not_sent" : (hasTarget ? "pending" : "no_target")
        let record = PayPalEventRecord(
            type: type, orderID: orderID, resourceType: resourceType, resource: resource, summary: summary,
            base: base, deliveryStatus: status)
        eventIndex[record.id] = events.count
        events.append(record)
        recentEventIDs.append(record.id)
        if deliver, hasTarget { outbox.append(record) }
    }

    mutating func takeOutbox() -> [PayPalEventRecord] {
        defer { outbox.removeAll() }
        return outbox
    }

    mutating func recordDelivery(eventID: String, status: String, httpStatus: Int?, error: String?) {
        guard let index = eventIndex[eventID], events.indices.contains(index) else { return }
        events[index].deliveryStatus = status
        events[index].attempts += 1
        events[index].lastHTTPStatus = httpStatus
        events[index].lastError = error
    }

    /// The capture named by `id`, or the capture of the order named by `id`.
    func captureID(for id: String) -> String? {
        if captures[id] != nil { return id }
        return orders[id]?.captureID
    }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// A PayPal-style upper-case id.
    static func makeID(_ length: Int = 17) -> String {
        String(decoding: (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }, as: UTF8.self)
    }

    /// Now as RFC 3339 UTC (`2026-01-01T00:00:00Z`), PayPal's time format.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

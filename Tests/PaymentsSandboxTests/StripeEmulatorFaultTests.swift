import Foundation
import Logging
import PaymentsCore
import Testing

@testable import PaymentsSandbox

/// The Stripe emulator's fault switches: answers lost after the work, latency, and held events released out of order.
@Suite("Stripe emulator faults")
struct StripeEmulatorFaultTests {
    let helper = StripeEmulatorTests()

    private func authorized(_ stripe: StripeEmulator, deliver: Bool = true) throws -> String {
        let created = helper.api(
            stripe, "POST", "/v1/payment_intents", "amount=1000&currency=usd&capture_method=manual")
        let id = try #require(try json(created)["id"]?.stringValue)
        #expect(helper.control(stripe, "pay", #"{"id":"\#(id)","deliver":\#(deliver)}"#).status == 200)
        return id
    }

    private func intent(_ stripe: StripeEmulator, _ id: String) throws -> JSONValue {
        try json(stripe.control(makeRequest("GET", "/control/stripe/intents/\(id)"), ["intents", id]))
    }

    @Test("mode after: the capture happens, the answer is lost, the key replays the stored success")
    func answerLostAfterTheCapture() throws {
        let stripe = helper.makeStripe()
        let id = try authorized(stripe)
        let other = try authorized(stripe)
        let armed = helper.control(
            stripe, "fail", #"{"endpoint":"capture","times":1,"status":0,"mode":"after","id":"\#(id)"}"#)
        #expect(armed.status == 200)
        // Another intent's capture is not affected by a switch aimed at one PaymentIntent.
        #expect(helper.api(stripe, "POST", "/v1/payment_intents/\(other)/capture", key: "c-other").status == 200)
        let lost = helper.api(stripe, "POST", "/v1/payment_intents/\(id)/capture", key: "pi-capture-\(id)-1")
        #expect(lost.dropConnection)
        let after = try intent(stripe, id)
        #expect(after["status"]?.stringValue == "succeeded" && after["capture_count"]?.int64Value == 1)
        #expect(after["capture_attempts"]?.int64Value == 1)
        let replay = helper.api(stripe, "POST", "/v1/payment_intents/\(id)/capture", key: "pi-capture-\(id)-1")
        #expect(replay.status == 200 && replay.headers.contains { $0 == ("Idempotent-Replayed", "true") })
        #expect(try intent(stripe, id)["capture_count"]?.int64Value == 1)
        // Before (the default) performs nothing and stores nothing.
        let third = try authorized(stripe)
        _ = helper.control(stripe, "fail", #"{"endpoint":"capture","status":502,"id":"\#(third)"}"#)
        #expect(helper.api(stripe, "POST", "/v1/payment_intents/\(third)/capture", key: "k3").status == 502)
        #expect(try intent(stripe, third)["capture_count"]?.int64Value == 0)
        #expect(helper.api(stripe, "POST", "/v1/payment_intents/\(third)/capture", key: "k3").status == 200)
        #expect(helper.control(stripe, "fail", #"{"endpoint":"capture","mode":"sideways"}"#).status == 400)
    }

    @Test("latency holds the capture in flight, counted in capture_attempts before it is performed")
    func latency() throws {
        let stripe = helper.makeStripe()
        let id = try authorized(stripe)
        #expect(helper.control(stripe, "latency", #"{"endpoint":"capture","ms":400,"id":"\#(id)"}"#).status == 200)
        let started = SocketIO.now()
        let capture = Locked<SandboxResponse?>(nil)
        let thread = Thread { [helper] in
            capture.withLock { $0 = helper.api(stripe, "POST", "/v1/payment_intents/\(id)/capture") }
        }
        thread.start()
        var inFlight = false
        for _ in 0..<100 where !inFlight {
            let now = try intent(stripe, id)
            inFlight = now["capture_attempts"]?.int64Value == 1 && now["capture_count"]?.int64Value == 0
            SocketIO.sleep(milliseconds: 10)
        }
        #expect(inFlight, "the capture was never seen in flight")
        for _ in 0..<200 where capture.withLock({ $0 }) == nil { SocketIO.sleep(milliseconds: 10) }
        #expect(capture.withLock { $0?.status } == 200)
        #expect(try intent(stripe, id)["capture_count"]?.int64Value == 1)
        #expect(SocketIO.now() - started <= 3)
        #expect(helper.control(stripe, "latency", #"{"endpoint":"capture","ms":-1}"#).status == 400)
    }

    @Test("held events are released in reverse, each on its own, and a refused one is retried")
    func heldEventsReleasedInReverse() throws {
        let receiver = RefusingFirst(refuse: "payment_intent.succeeded")
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let stripe = helper.makeStripe(target: "http://127.0.0.1:\(server.port)/api")
        let created = helper.api(
            stripe, "POST", "/v1/payment_intents", "amount=1000&currency=usd&capture_method=manual")
        let id = try #require(try json(created)["id"]?.stringValue)
        #expect(helper.control(stripe, "hold", #"{"id":"\#(id)"}"#).status == 200)
        _ = helper.control(stripe, "pay", #"{"id":"\#(id)"}"#)
        #expect(helper.api(stripe, "POST", "/v1/payment_intents/\(id)/capture").status == 200)
        SocketIO.sleep(milliseconds: 200)
        #expect(receiver.types.isEmpty, "held events were delivered: \(receiver.types)")
        let held = try json(stripe.events(makeRequest("GET", "/control/stripe/events?payment_intent=\(id)")))
        #expect(held["data"]?.arrayValue?.compactMap { $0["delivery_status"]?.stringValue } == ["held", "held"])

        let released = try json(helper.control(stripe, "release", #"{"id":"\#(id)","order":"reverse"}"#))
        let order = released["released"]?.arrayValue ?? []
        #expect(
            order.compactMap { $0["type"]?.stringValue } == [
                "payment_intent.succeeded", "payment_intent.amount_capturable_updated",
            ])
        #expect(order.compactMap { $0["first_http_status"]?.int64Value } == [503, 200])
        // The refused event is retried on its own and delivered.
        for _ in 0..<300 where receiver.types.count < 3 { SocketIO.sleep(milliseconds: 10) }
        #expect(
            receiver.types == [
                "payment_intent.succeeded", "payment_intent.amount_capturable_updated", "payment_intent.succeeded",
            ])
        #expect(helper.control(stripe, "release", #"{"id":"\#(id)","order":"sideways"}"#).status == 400)
    }
}

/// A webhook receiver that answers 503 the first time it sees an event of type `refuse`, 200 otherwise.
final class RefusingFirst: SandboxService {
    let refuse: String
    private let seen = Locked<[String]>([])

    init(refuse: String) { self.refuse = refuse }

    var types: [String] { seen.withLock { $0 } }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let type = (try? JSONValue.parse(request.body))?["type"]?.stringValue ?? ""
        let first = seen.withLock { list -> Bool in
            defer { list.append(type) }
            return !list.contains(type)
        }
        return .json(type == refuse && first ? 503 : 200, .object([("received", .bool(true))]))
    }
}

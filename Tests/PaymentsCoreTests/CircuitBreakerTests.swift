import PaymentsCore
import Synchronization
import Testing

/// DESIGN §3: 5 consecutive failures within 30 s open the circuit; half-open after 30 s (issue 6, defect 7).
@Suite struct CircuitBreakerTests {
    @Test func failuresTenSecondsApartOpenTheCircuitAfterFive() {
        // A hanging upstream with a 10 s timeout fails one call every 10 s: that is a run of failures, not a series
        // of unrelated ones, and must open the circuit.
        let breaker = CircuitBreaker(service: "paypal")
        for end in stride(from: 10.0, through: 40.0, by: 10) {
            #expect(breaker.admit(now: end - 10) == nil)
            breaker.recordFailure(now: end)
        }
        #expect(breaker.admit(now: 40) == nil)
        breaker.recordFailure(now: 50)
        #expect(breaker.admit(now: 51) == 29)
    }

    @Test func failuresFurtherApartThanTheWindowDoNotAddUp() {
        let breaker = CircuitBreaker(service: "paypal")
        for index in 0..<10 { breaker.recordFailure(now: Double(index) * 31) }
        #expect(breaker.admit(now: 400) == nil)
    }

    @Test func aSuccessEndsTheRun() {
        let breaker = CircuitBreaker(service: "paypal")
        for index in 0..<4 { breaker.recordFailure(now: Double(index)) }
        breaker.recordSuccess()
        breaker.recordFailure(now: 5)
        #expect(breaker.admit(now: 6) == nil)
    }

    @Test func halfOpenLetsOneTrialThroughAndItsOutcomeDecides() {
        let clock = ManualClock(1_000)
        let breaker = CircuitBreaker(service: "paypal", clock: { clock.now })
        for _ in 0..<5 { breaker.recordFailure() }
        #expect(breaker.admit() == 30 && breaker.state == .open)
        clock.now = 1_030
        #expect(breaker.state == .halfOpen)
        #expect(breaker.admit() == nil)
        #expect(breaker.admit() == 1)
        breaker.recordFailure()
        #expect(breaker.admit() == 30)
        clock.now = 1_060
        #expect(breaker.admit() == nil)
        breaker.recordSuccess()
        #expect(breaker.admit() == nil && breaker.state == .closed)
    }

    @Test func timeoutsThroughTheOutboundServiceAreCounted() throws {
        let clock = ManualClock(0)
        let breaker = CircuitBreaker(service: "paypal", clock: { clock.now })
        let calls = ManualClock(0)
        let service = OutboundService(
            name: "paypal",
            transport: ClosureTransport { _ in
                calls.now += 1
                clock.now += 10
                throw HTTPTransportError(.timeout, "timed out after 10 s")
            }, breaker: breaker, timeout: 10)
        for _ in 0..<5 {
            let error = #expect(throws: APIError.self) { try service.send(HTTPRequest(method: "GET", url: "x")) }
            #expect(error?.code == .gatewayUnavailable)
        }
        let open = #expect(throws: APIError.self) { try service.send(HTTPRequest(method: "GET", url: "x")) }
        #expect(open?.code == .circuitOpen && open?.headers.first?.0 == "Retry-After" && calls.now == 5)
    }
}

/// A settable clock (seconds), shared with the code under test.
final class ManualClock: Sendable {
    private let value: Mutex<Double>
    init(_ start: Double) { value = Mutex(start) }
    var now: Double {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// An HTTPTransport answering from a closure.
struct ClosureTransport: HTTPTransport {
    let handler: @Sendable (HTTPRequest) throws -> HTTPResponse
    init(_ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) { self.handler = handler }
    func send(_ request: HTTPRequest) throws -> HTTPResponse { try handler(request) }
}

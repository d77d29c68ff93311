import Foundation
import Gateways
import PaymentsCore
import Synchronization
import Testing

/// The shared OAuth token under a hanging or failing token endpoint (issue 6, defect 7).
@Suite struct PayPalTokenProviderTests {
    static let configuration = PayPalConfiguration(
        clientID: "cid", secret: Secret("secret"), webhookID: "WH", certHosts: ["api.paypal.com"], trustRoots: [],
        apiBase: "https://paypal.test")

    static func provider(_ transport: any HTTPTransport, clock: TestClock, breaker: CircuitBreaker? = nil)
        -> PayPalTokenProvider
    {
        let service = OutboundService(
            name: "paypal", transport: transport,
            breaker: breaker ?? CircuitBreaker(service: "paypal", clock: { Double(clock.now) }), timeout: 10)
        return PayPalTokenProvider(configuration: configuration, service: service, clock: { clock.now })
    }

    /// The token, or the status of the error.
    static func outcome(_ provider: PayPalTokenProvider) -> String {
        do { return try provider.token() } catch { return String((error as? APIError)?.code.status ?? -1) }
    }

    static let tokenAnswer = FakeTransport.json(200, #"{"access_token":"T1","token_type":"Bearer","expires_in":3600}"#)

    /// One caller's token request hangs in `transport` (its call number `call`); meanwhile `count` others ask for a
    /// token. Answers what each of the others got and how long it took, then opens the gate and adds what the
    /// first caller got.
    static func duringHangingFetch(
        _ provider: PayPalTokenProvider, _ transport: GatedTransport, call: Int, others count: Int
    ) throws -> (first: String?, others: [(outcome: String, seconds: Double)?]) {
        let first = ThreadRun(1) { _ in Self.outcome(provider) }
        try #require(transport.waitForCalls(call))
        let others = ThreadRun(count) { _ -> (outcome: String, seconds: Double) in
            let start = Date()
            return (Self.outcome(provider), Date().timeIntervalSince(start))
        }
        let answered = others.results(within: 2)
        transport.open()
        _ = others.results(within: 5)
        return (first.results(within: 5).first ?? nil, answered)
    }

    @Test func whileOneFetchHangsTheOtherCallersFailFastWithoutCallingPayPal() throws {
        let transport = GatedTransport { _ in Self.tokenAnswer }
        let provider = Self.provider(transport, clock: TestClock())
        let (first, others) = try Self.duringHangingFetch(provider, transport, call: 1, others: 8)
        #expect(first == "T1")
        for answer in others {
            #expect(answer?.outcome == "503" && (answer?.seconds ?? 99) < 1, "\(String(describing: answer))")
        }
        #expect(transport.calls == 1)
        #expect(try provider.token() == "T1" && transport.calls == 1)
    }

    @Test func aTokenStillValidIsServedWhileItsReplacementIsFetched() throws {
        let clock = TestClock()
        let serial = Mutex(0)
        let transport = GatedTransport { _ in
            let n = serial.withLock { value -> Int in
                value += 1
                return value
            }
            return FakeTransport.json(200, #"{"access_token":"T\#(n)","expires_in":3600}"#)
        }
        transport.open()
        let provider = Self.provider(transport, clock: clock)
        #expect(try provider.token() == "T1")
        // Inside the refresh margin (refreshed 120 s before the 3600 s expiry): one caller refreshes, and while that
        // hangs the others keep using the token that is still valid.
        transport.close()
        clock.advance(3_500)
        let (first, others) = try Self.duringHangingFetch(provider, transport, call: 2, others: 4)
        #expect(first == "T2")
        for answer in others {
            #expect(answer?.outcome == "T1" && (answer?.seconds ?? 99) < 1, "\(String(describing: answer))")
        }
        #expect(try provider.token() == "T2" && transport.calls == 2)
    }

    @Test func timeoutsTenSecondsApartOpenTheBreakerAfterFive() throws {
        let clock = TestClock()
        let transport = FakeTransport { _ in
            clock.advance(10)
            throw HTTPTransportError(.timeout, "no answer within 10 s")
        }
        let provider = Self.provider(transport, clock: clock)
        for _ in 0..<5 { #expect(Self.outcome(provider) == "502") }
        #expect(Self.outcome(provider) == "503")
        #expect(transport.requests.count == 5)
    }
}

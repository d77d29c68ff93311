import Foundation
import PaymentsCore
import Synchronization
import Testing

@testable import OutboundHTTP

/// Name lookups keep the call's deadline; IP literals need no lookup at all.
@Suite struct HostResolverTests {
    /// A lookup that counts its calls, answering after `delay` seconds.
    private final class CountingLookup: Sendable {
        let calls = Mutex(0)
        let delay: Double
        let answer: [HostResolver.Address]?

        init(delay: Double = 0, answer: [HostResolver.Address]?) {
            self.delay = delay
            self.answer = answer
        }

        var lookup: HostResolver.Lookup {
            { [self] _, _ in
                calls.withLock { $0 += 1 }
                usleep(UInt32(delay * 1_000_000))
                return answer
            }
        }
    }

    @Test("an IPv4 or IPv6 literal is its own address: no lookup runs", arguments: ["127.0.0.1", "::1", "10.1.2.3"])
    func literal(host: String) throws {
        let counting = CountingLookup(answer: nil)
        let addresses = try HostResolver.addresses(
            host: host, port: 443, deadline: HTTPConnection.now() + 10, lookup: counting.lookup)
        #expect(addresses.count == 1)
        #expect(addresses.first?.family == (host.contains(":") ? AF_INET6 : AF_INET))
        #expect(counting.calls.withLock { $0 } == 0)
    }

    @Test("a name is looked up (the system's resolver answers localhost)")
    func name() throws {
        let addresses = try HostResolver.addresses(host: "localhost", port: 80, deadline: HTTPConnection.now() + 10)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.family == AF_INET || $0.family == AF_INET6 })
    }

    @Test("a lookup slower than the deadline is given up at the deadline as a timeout")
    func slowLookup() throws {
        let counting = CountingLookup(delay: 2, answer: HostResolver.numericAddresses(host: "127.0.0.1", port: 80))
        let started = Date()
        #expect {
            _ = try HostResolver.addresses(
                host: "slow.example", port: 443, deadline: HTTPConnection.now() + 0.3, lookup: counting.lookup)
        } throws: { ($0 as? HTTPTransportError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 1.0)
        #expect(counting.calls.withLock { $0 } == 1)
    }

    @Test("lookups stuck on a dead DNS server do not hold up the next one")
    func stuckLookupsDoNotStarve() throws {
        let stuck = CountingLookup(delay: 3, answer: nil)
        for index in 0..<12 {
            #expect(throws: HTTPTransportError.self) {
                try HostResolver.addresses(
                    host: "stuck\(index).example", port: 443, deadline: HTTPConnection.now() + 0.05,
                    lookup: stuck.lookup)
            }
        }
        // Twelve lookups are still blocked; a fresh one is answered at once all the same.
        let quick = CountingLookup(answer: HostResolver.numericAddresses(host: "127.0.0.1", port: 443))
        let started = Date()
        let addresses = try HostResolver.addresses(
            host: "quick.example", port: 443, deadline: HTTPConnection.now() + 2, lookup: quick.lookup)
        #expect(addresses.count == 1)
        #expect(Date().timeIntervalSince(started) < 0.5)
    }

    @Test("a name that does not resolve is a connection error")
    func unknownName() throws {
        let counting = CountingLookup(answer: nil)
        #expect {
            _ = try HostResolver.addresses(
                host: "nowhere.invalid", port: 443, deadline: HTTPConnection.now() + 10, lookup: counting.lookup)
        } throws: { ($0 as? HTTPTransportError)?.detail == "host not resolved" }
        #expect(counting.calls.withLock { $0 } == 1)
    }
}

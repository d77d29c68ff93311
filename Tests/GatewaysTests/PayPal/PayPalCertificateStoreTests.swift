import Foundation
import Gateways
import PaymentsCore
import Signing
import Synchronization
import Testing

/// What a junk `PAYPAL-CERT-URL` may cost: nothing off PayPal's certificate path, one fetch per URL per minute, a small
/// fetch budget across URLs, one fetch in flight (issue 6, defect 6).
@Suite struct PayPalCertificateStoreTests {
    static let now: Int64 = 1_800_000_000

    static func store(_ transport: any HTTPTransport) -> PayPalCertificateStore {
        let services = GatewayServices(
            core: CoreConfiguration(), transport: transport,
            authenticator: FixedAuthenticator(
                user: AuthenticatedUser(uid: "u", emailVerified: true, signInProvider: "x")),
            recaptcha: PassRecaptcha())
        return PayPalCertificateStore(
            allowedHosts: ["api.paypal.com"], commonNameSuffix: ".paypal.com",
            trustRoots: [PayPalTestChain.shared.root], service: services.outbound("paypal-certs"))
    }

    /// "leaf", "401" for a refusal (`PayPalSignature.Failure`), or the status of an `APIError`.
    static func outcome(_ store: PayPalCertificateStore, _ url: String, now: Int64 = now) -> String {
        do {
            _ = try store.leaf(for: url, now: now)
            return "leaf"
        } catch is PayPalSignature.Failure {
            return "401"
        } catch {
            return String((error as? APIError)?.code.status ?? -1)
        }
    }

    static func url(_ name: String) -> String { "https://api.paypal.com/v1/notifications/certs/\(name)" }

    @Test func onlyPayPalsCertificatePathIsAccepted() throws {
        let hosts: Set<String> = ["api.paypal.com"]
        for good in [
            Self.url("CERT-360caa42-fca2a594-a5cafa77"), "https://api.paypal.com:443/v1/notifications/certs/a.b_c",
        ] {
            try PayPalCertificateStore.checkURL(good, allowedHosts: hosts)
        }
        for bad in [
            "https://api.paypal.com/", "https://api.paypal.com", "https://api.paypal.com/v2/payments/refunds/R1",
            "https://api.paypal.com/v1/notifications/certs/", "https://api.paypal.com/v1/notifications/certs/a/b",
            "https://api.paypal.com/v1/notifications/certs/../../v1/oauth2/token",
            "https://api.paypal.com/v1/notifications/certs/%2e%2e",
            "https://api.paypal.com/v1/notifications/certs/a?x=1",
            "https://api.paypal.com/v1/notifications/certs/a#f", "https://api.paypal.com/V1/notifications/certs/a",
            "https://api.paypal.com//v1/notifications/certs/a",
            "https://api.paypal.com/v1/notifications/certs/" + String(repeating: "a", count: 200),
        ] {
            #expect(throws: PayPalSignature.Failure.self, "\(bad)") {
                try PayPalCertificateStore.checkURL(bad, allowedHosts: hosts)
            }
        }
    }

    @Test func aFailedFetchIsRememberedForAMinute() throws {
        let transport = FakeTransport { request in
            if request.url.hasSuffix("/down") { throw HTTPTransportError(.connection, "refused") }
            return HTTPResponse(status: 404)
        }
        let store = Self.store(transport)
        #expect(Self.outcome(store, Self.url("missing")) == "401")
        #expect(Self.outcome(store, Self.url("missing"), now: Self.now + 59) == "401")
        #expect(transport.requests.count == 1)
        #expect(Self.outcome(store, Self.url("missing"), now: Self.now + 61) == "401")
        #expect(transport.requests.count == 2)
        // A certificate host that did not answer: 5xx (PayPal retries), also remembered.
        #expect(Self.outcome(store, Self.url("down"), now: Self.now + 61) == "502")
        #expect(Self.outcome(store, Self.url("down"), now: Self.now + 62) == "503")
        #expect(transport.requests.count == 3)
    }

    @Test func distinctURLsShareASmallFetchBudget() throws {
        let transport = FakeTransport { _ in HTTPResponse(status: 404) }
        let store = Self.store(transport)
        let outcomes = (0..<50).map { Self.outcome(store, Self.url("CERT-junk-\($0)")) }
        let budget = PayPalCertificateStore.fetchBudget
        #expect(transport.requests.count == budget)
        #expect(outcomes == Array(repeating: "401", count: budget) + Array(repeating: "503", count: 50 - budget))
        // The budget refills slowly: one more fetch after the refill interval.
        let later = Self.now + PayPalCertificateStore.fetchRefillSeconds
        #expect(Self.outcome(store, Self.url("CERT-junk-late-1"), now: later) == "401")
        #expect(Self.outcome(store, Self.url("CERT-junk-late-2"), now: later) == "503")
        #expect(transport.requests.count == budget + 1)
    }

    @Test func oneFetchInFlightTheOthersFailFast() throws {
        let chain = PayPalTestChain.shared
        let seen = Mutex<[String]>([])
        let store = Mutex<PayPalCertificateStore?>(nil)
        let depth = Mutex(0)
        let transport = FakeTransport { _ in
            // While the first fetch is in flight, more deliveries arrive for the same and for another URL.
            if depth.withLock({ value -> Bool in
                value += 1
                return value == 1
            }), let store = store.withLock({ $0 }) {
                for name in ["CERT-1", "CERT-2"] {
                    let outcome = Self.outcome(store, Self.url(name))
                    seen.withLock { $0.append(outcome) }
                }
            }
            return HTTPResponse(status: 200, body: Array(chain.servedPEM.utf8))
        }
        let created = Self.store(transport)
        store.withLock { $0 = created }
        #expect(Self.outcome(created, Self.url("CERT-1"), now: Int64(Date().timeIntervalSince1970)) == "leaf")
        #expect(seen.withLock { $0 } == ["503", "503"])
        #expect(transport.requests.count == 1)
    }
}

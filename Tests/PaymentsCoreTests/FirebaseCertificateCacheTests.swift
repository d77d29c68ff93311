import PaymentsCore
import Signing
import Synchronization
import Testing

/// Serves one certificate set (`max-age=10`). While a fetch is in flight it runs the hook once, on the fetching
/// thread: what other callers get during the fetch, seen without threads or timing.
final class HookedCertsTransport: HTTPTransport {
    let body: [UInt8]
    private let state = Mutex<(fetches: Int, hook: (@Sendable () -> Void)?)>((0, nil))

    init(_ certificates: [(String, Certificate)]) {
        body = Array(JSONValue.object(certificates.map { ($0.0, .string($0.1.pem)) }).serialized().utf8)
    }

    var fetches: Int { state.withLock { $0.fetches } }

    func duringNextFetch(_ hook: @escaping @Sendable () -> Void) { state.withLock { $0.hook = hook } }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let hook = state.withLock { s -> (@Sendable () -> Void)? in
            s.fetches += 1
            defer { s.hook = nil }
            return s.hook
        }
        hook?()
        return HTTPResponse(status: 200, headers: ["cache-control": "max-age=10"], body: body)
    }
}

/// One refresh of the Firebase certificates in flight at a time (issue 6, defect 7).
@Suite struct FirebaseCertificateCacheTests {
    static func cache() throws -> (FirebaseCertificateCache, HookedCertsTransport) {
        let key = try PrivateKey.generateRSA()
        let certificate = try Certificate.issue(
            commonName: "securetoken", subjectKey: key, issuer: nil, issuerKey: key, isCA: false, days: 30)
        let transport = HookedCertsTransport([("kid-1", certificate)])
        let service = OutboundService(
            name: "firebase", transport: transport, breaker: CircuitBreaker(service: "firebase"), timeout: 5)
        return (FirebaseCertificateCache(url: "http://127.0.0.1/certs", service: service), transport)
    }

    /// What `key(for:now:)` gives: "key", or the error's status.
    static func outcome(_ cache: FirebaseCertificateCache, _ kid: String, now: Int64) -> String {
        do {
            _ = try cache.key(for: kid, now: now)
            return "key"
        } catch {
            return String(error.code.status)
        }
    }

    @Test func aPrefetchFillsTheCacheOnceSoTheFirstTokensNeedNoFetch() throws {
        let (cache, transport) = try Self.cache()
        let seen = Mutex<[String]>([])
        transport.duringNextFetch {
            // A second prefetch while the first is in flight starts no fetch of its own.
            cache.prefetch(now: 1_000)
            seen.withLock { $0.append(Self.outcome(cache, "kid-1", now: 1_000)) }
        }
        cache.prefetch(now: 1_000)
        #expect(transport.fetches == 1)
        #expect(seen.withLock { $0 } == ["503"], "during the one fetch, a caller fails fast")
        #expect(Self.outcome(cache, "kid-1", now: 1_001) == "key")
        cache.prefetch(now: 1_002)
        #expect(transport.fetches == 1, "a cached set is not fetched again by a prefetch")
    }

    @Test func anExpiredSetIsRefreshedOnceWhileOthersUseItOrFailFast() throws {
        let (cache, transport) = try Self.cache()
        _ = try cache.key(for: "kid-1", now: 1_000)
        let seen = Mutex<[String]>([])
        transport.duringNextFetch {
            for kid in ["kid-1", "kid-1", "kid-9"] {
                let outcome = Self.outcome(cache, kid, now: 1_020)
                seen.withLock { $0.append(outcome) }
            }
        }
        // Expired at 1010: one caller refreshes; meanwhile a known kid is served from the expired set and an
        // unknown one fails fast with 503 instead of fetching again.
        #expect(Self.outcome(cache, "kid-1", now: 1_020) == "key")
        #expect(seen.withLock { $0 } == ["key", "key", "503"])
        #expect(transport.fetches == 2)
        #expect(Self.outcome(cache, "kid-1", now: 1_025) == "key" && transport.fetches == 2)
    }

    @Test func theFirstFetchIsNotStampeded() throws {
        let (cache, transport) = try Self.cache()
        let seen = Mutex<[String]>([])
        transport.duringNextFetch {
            for _ in 0..<3 {
                let outcome = Self.outcome(cache, "kid-1", now: 1_000)
                seen.withLock { $0.append(outcome) }
            }
        }
        #expect(Self.outcome(cache, "kid-1", now: 1_000) == "key")
        #expect(seen.withLock { $0 } == ["503", "503", "503"])
        #expect(transport.fetches == 1)
    }
}

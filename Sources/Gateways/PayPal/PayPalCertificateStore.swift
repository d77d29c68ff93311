import Foundation
import PaymentsCore
import Signing

/// Fetches, checks and caches the certificates named by `PAYPAL-CERT-URL` (issue 3, research §2.3).
///
/// Before anything is fetched the URL must name PayPal's certificate path (`/v1/notifications/certs/<name>`) on an
/// allowed host (case-insensitive, port ignored), over https unless the host is loopback (the sandbox). A fetch times
/// out after 5 s and is capped at 64 KiB. The leaf's CN must end with the configured suffix and the chain must verify
/// to the configured anchors at the time of use; a verified chain is cached per URL until its leaf expires.
///
/// An unauthenticated delivery chooses the URL, so what a junk URL can cost is bounded (issue 6, defect 6): a failed
/// fetch is remembered for a minute per URL; URLs not cached share a small fetch budget (`fetchBudget` back to back,
/// then one per `fetchRefillSeconds`); and one fetch at most is in flight. A delivery refused by the budget or the
/// single flight is answered 503 with `Retry-After` (PayPal retries); the genuine certificate, once cached, is
/// never affected.
public final class PayPalCertificateStore: Sendable {
    public static let fetchTimeout: Double = 5
    public static let maxCertificateBytes = 64 * 1024
    /// The only path a certificate URL may name, followed by one segment of `[A-Za-z0-9._-]`.
    public static let certificatePathPrefix = "/v1/notifications/certs/"
    static let maxCertificateNameLength = 128
    static let maxCachedURLs = 64
    /// Certificate fetches allowed back to back for URLs not cached yet.
    public static let fetchBudget = 4
    /// One more fetch is allowed after each such interval (seconds).
    public static let fetchRefillSeconds: Int64 = 15
    /// How long a URL whose fetch failed is answered from memory (seconds).
    public static let failureMemorySeconds: Int64 = 60
    static let maxRememberedFailures = 1024

    struct Entry: Sendable {
        let leaf: Certificate
        let intermediates: [Certificate]
    }

    /// Why a URL's last fetch failed: refused (401 again) or not answered (503 until the memory ends).
    enum Failure: Sendable {
        case refused(PayPalSignature.Failure)
        case unavailable
    }

    private struct State {
        var verified: [String: Entry] = [:]
        var failed: [String: (failure: Failure, until: Int64)] = [:]
        var fetching = false
        var budget = PayPalCertificateStore.fetchBudget
        var budgetCountedAt: Int64?

        /// Takes one fetch from the budget, refilled by one per `fetchRefillSeconds` since it was last counted.
        mutating func takeFetch(now: Int64) -> Bool {
            let refill = PayPalCertificateStore.fetchRefillSeconds
            if let counted = budgetCountedAt, now - counted >= refill {
                let earned = min((now - counted) / refill, Int64(PayPalCertificateStore.fetchBudget))
                budget = min(PayPalCertificateStore.fetchBudget, budget + Int(earned))
                budgetCountedAt = budget == PayPalCertificateStore.fetchBudget ? now : counted + earned * refill
            }
            guard budget > 0 else { return false }
            if budget == PayPalCertificateStore.fetchBudget { budgetCountedAt = now }
            budget -= 1
            return true
        }
    }

    private enum Plan {
        case cached(Entry)
        case remembered(Failure, until: Int64)
        case wait(seconds: Int64)
        case fetch
    }

    let allowedHosts: Set<String>
    let commonNameSuffix: String
    let trustRoots: [Certificate]
    let service: OutboundService
    private let state = Locked(State())

    public init(
        allowedHosts: Set<String>, commonNameSuffix: String, trustRoots: [Certificate], service: OutboundService
    ) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.commonNameSuffix = commonNameSuffix.lowercased()
        self.trustRoots = trustRoots
        self.service = service
    }

    /// The verified signing certificate for `url` at `now`.
    /// - Throws: `PayPalSignature.Failure` when the URL or the certificate is not acceptable (answer 401), or an
    ///   `APIError` when the certificate host did not answer or fetches are throttled (answer 5xx so PayPal retries).
    public func leaf(for url: String, now: Int64) throws -> Certificate {
        try Self.checkURL(url, allowedHosts: allowedHosts)
        let plan = state.withLock { s -> Plan in
            if let entry = s.verified[url], entry.leaf.notAfter > now { return .cached(entry) }
            if let failed = s.failed[url], now < failed.until {
                return .remembered(failed.failure, until: failed.until)
            }
            if s.fetching { return .wait(seconds: 1) }
            guard s.takeFetch(now: now) else { return .wait(seconds: Self.fetchRefillSeconds) }
            s.fetching = true
            return .fetch
        }
        switch plan {
        case let .cached(entry):
            try check(entry, now: now)
            return entry.leaf
        case let .remembered(.refused(failure), _):
            throw failure
        case let .remembered(.unavailable, until):
            throw Self.retryLater("paypal certificate host did not answer", seconds: until - now)
        case let .wait(seconds):
            throw Self.retryLater("paypal certificate fetches are throttled", seconds: seconds)
        case .fetch:
            let outcome = Result { () throws -> Entry in
                let entry = try fetch(url)
                try check(entry, now: now)
                return entry
            }
            state.withLock { s in
                s.fetching = false
                switch outcome {
                case let .success(entry): Self.remember(entry, for: url, in: &s, now: now)
                case let .failure(failure as PayPalSignature.Failure):
                    Self.remember(.refused(failure), for: url, in: &s, now: now)
                case .failure: Self.remember(.unavailable, for: url, in: &s, now: now)
                }
            }
            return try outcome.get().leaf
        }
    }

    private static func retryLater(_ message: String, seconds: Int64) -> APIError {
        APIError(.circuitOpen, message, headers: [("Retry-After", String(max(1, seconds)))])
    }

    private static func remember(_ entry: Entry, for url: String, in s: inout State, now: Int64) {
        if s.verified.count >= maxCachedURLs {
            s.verified = s.verified.filter { $0.value.leaf.notAfter > now }
            if s.verified.count >= maxCachedURLs { s.verified.removeAll() }
        }
        s.verified[url] = entry
        s.failed[url] = nil
    }

    private static func remember(_ failure: Failure, for url: String, in s: inout State, now: Int64) {
        if s.failed.count >= maxRememberedFailures {
            s.failed = s.failed.filter { now < $0.value.until }
            if s.failed.count >= maxRememberedFailures { s.failed.removeAll() }
        }
        s.failed[url] = (failure, now + failureMemorySeconds)
    }

    /// Rejects a URL that is not https on an allowed host (plain http on a loopback one) with PayPal's certificate
    /// path, without fetching it.
    public static func checkURL(_ url: String, allowedHosts: Set<String>) throws(PayPalSignature.Failure) {
        guard let schemeEnd = url.range(of: "://") else { throw .certificateURLNotAllowed("not an absolute URL") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@"), !authority.isEmpty else {
            throw .certificateURLNotAllowed("malformed authority")
        }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .certificateURLNotAllowed("malformed host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        let name = host.lowercased()
        guard !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":") })
        else { throw .certificateURLNotAllowed("malformed host") }
        guard allowedHosts.contains(name) else {
            throw .certificateURLNotAllowed("host \(name) is not in PAYPAL_CERT_HOSTS")
        }
        switch scheme {
        case "https": break
        case "http" where isLoopback(name): break
        default: throw .certificateURLNotAllowed("scheme \(scheme) is not allowed for host \(name)")
        }
        let path = rest.dropFirst(authority.count)
        guard path.hasPrefix(certificatePathPrefix) else {
            throw .certificateURLNotAllowed("path is not under \(certificatePathPrefix)")
        }
        let certificate = path.dropFirst(certificatePathPrefix.count)
        guard (1...maxCertificateNameLength).contains(certificate.utf8.count), certificate != ".", certificate != "..",
            certificate.utf8.allSatisfy(isCertificateNameByte)
        else { throw .certificateURLNotAllowed("malformed certificate name") }
    }

    /// `[A-Za-z0-9._-]`: PayPal's names look like `CERT-360caa42-fca2a594-a5cafa77`.
    static func isCertificateNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    private func fetch(_ url: String) throws -> Entry {
        var request = HTTPRequest(method: "GET", url: url, headers: [("Accept", "*/*")], timeout: Self.fetchTimeout)
        request.maxResponseBytes = Self.maxCertificateBytes
        let response = try service.send(request)
        guard response.status == 200 else {
            throw PayPalSignature.Failure.certificateRejected("certificate URL answered \(response.status)")
        }
        guard response.body.count <= Self.maxCertificateBytes else {
            throw PayPalSignature.Failure.certificateRejected(
                "certificate larger than \(Self.maxCertificateBytes) bytes")
        }
        let certificates: [Certificate]
        do {
            certificates = try Certificate.parseAll(pem: String(decoding: response.body, as: UTF8.self))
        } catch {
            throw PayPalSignature.Failure.certificateRejected("certificate URL did not answer PEM certificates")
        }
        guard let leaf = certificates.first else { throw PayPalSignature.Failure.certificateRejected("no certificate") }
        return Entry(leaf: leaf, intermediates: Array(certificates.dropFirst()))
    }

    private func check(_ entry: Entry, now: Int64) throws(PayPalSignature.Failure) {
        guard let commonName = entry.leaf.subjectCommonName?.lowercased(), commonName.hasSuffix(commonNameSuffix) else {
            throw .certificateRejected("leaf CN does not end with \(commonNameSuffix)")
        }
        do {
            try ChainVerifier.verify(
                leaf: entry.leaf, intermediates: entry.intermediates, trustAnchors: trustRoots, at: now,
                partialChain: true, strict: false)
        } catch {
            throw .certificateRejected("\(error)")
        }
    }
}

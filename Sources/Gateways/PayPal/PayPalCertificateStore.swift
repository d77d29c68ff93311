import Foundation
import PaymentsCore
import Signing
import Synchronization

/// Fetches, checks and caches the certificates named by `PAYPAL-CERT-URL` (issue 3, research §2.3).
///
/// The URL's host must be allowed (case-insensitive, port ignored) before anything is fetched, and its scheme https
/// unless the host is loopback (the sandbox). A fetch times out after 5 s and is capped at 64 KiB. The leaf's CN must
/// end with the configured suffix and the chain must verify to the configured anchors at the time of use; a verified
/// chain is cached per URL until its leaf expires.
public final class PayPalCertificateStore: Sendable {
    public static let fetchTimeout: Double = 5
    public static let maxCertificateBytes = 64 * 1024
    static let maxCachedURLs = 64

    struct Entry: Sendable {
        let leaf: Certificate
        let intermediates: [Certificate]
    }

    let allowedHosts: Set<String>
    let commonNameSuffix: String
    let trustRoots: [Certificate]
    let service: OutboundService
    private let cache = Mutex<[String: Entry]>([:])

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
    ///   `APIError` when the certificate host did not answer (answer 5xx so PayPal retries).
    public func leaf(for url: String, now: Int64) throws -> Certificate {
        try Self.checkURL(url, allowedHosts: allowedHosts)
        if let entry = cache.withLock({ $0[url] }), entry.leaf.notAfter > now {
            try check(entry, now: now)
            return entry.leaf
        }
        let entry = try fetch(url)
        try check(entry, now: now)
        cache.withLock { table in
            if table.count >= Self.maxCachedURLs {
                table = table.filter { $0.value.leaf.notAfter > now }
                if table.count >= Self.maxCachedURLs { table.removeAll() }
            }
            table[url] = entry
        }
        return entry.leaf
    }

    /// Rejects a URL whose host is not allowed, or that is not https on a non-loopback host, without fetching it.
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
        case "https": return
        case "http" where isLoopback(name): return
        default: throw .certificateURLNotAllowed("scheme \(scheme) is not allowed for host \(name)")
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

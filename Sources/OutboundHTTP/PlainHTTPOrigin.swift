import Synchronization

/// One `http://host[:port]` as written in URLs, parsed once: host, port, `Host` header, whether it is loopback, and
/// the idle connections of its `host:port`.
///
/// `SocketHTTPTransport` keeps the origins it has seen (a few base URLs per process: the sandbox, Retail, nchan) and
/// finds a URL's origin by comparing its authority bytes, so a request parses no host, port or address again and
/// reaches its idle connections without hashing a key.
final class PlainHTTPOrigin: Sendable {
    /// The authority bytes as written in the URL (`127.0.0.1:8104`), compared byte for byte.
    let authority: [UInt8]
    let host: String
    let port: Int
    /// The `Host` header: the authority as written.
    let hostHeader: String
    /// `localhost`, 127.0.0.0/8 or `::1` (`PlainHTTPTarget.isLoopback`).
    let isLoopback: Bool
    /// The idle connections of `host:port`, shared by every origin spelling the same `host:port`.
    let pool: PlainHTTPIdlePool

    init(authority: [UInt8], target: PlainHTTPTarget, pool: PlainHTTPIdlePool) {
        self.authority = authority
        host = target.host
        port = target.port
        hostHeader = target.hostHeader
        isLoopback = target.isLoopback
        self.pool = pool
    }

    /// Whether `bytes` are this origin's authority.
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == authority.count else { return false }
        return authority.withUnsafeBufferPointer { authority in
            var index = 0
            while index < bytes.count && bytes[index] == authority[index] { index += 1 }
            return index == bytes.count
        }
    }
}

import Synchronization

/// One `http[s]://host[:port]` as written in URLs, parsed once: scheme, host, port, `Host` header, and the idle
/// connections of its scheme, host and port.
///
/// `SocketHTTPTransport` keeps the origins it has seen (a few base URLs per process: the sandbox, Retail, nchan) and
/// finds a URL's origin by comparing its scheme and authority bytes, so a request parses no host, port or address
/// again and reaches its idle connections without hashing a key.
final class HTTPOrigin: Sendable {
    /// The scheme and authority bytes as written in the URL (`http://127.0.0.1:8104`), compared byte for byte.
    let schemeAndAuthority: [UInt8]
    /// `https://`: connections carry TLS.
    let isSecure: Bool
    let host: String
    let port: Int
    /// The `Host` header: the authority as written.
    let hostHeader: String
    /// The idle connections of the scheme, host and port, shared by every origin spelling the same ones.
    let pool: HTTPIdlePool

    init(schemeAndAuthority: [UInt8], target: HTTPTarget, pool: HTTPIdlePool) {
        self.schemeAndAuthority = schemeAndAuthority
        isSecure = target.isSecure
        host = target.host
        port = target.port
        hostHeader = target.hostHeader
        self.pool = pool
    }

    /// Whether `bytes` are this origin's scheme and authority.
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == schemeAndAuthority.count else { return false }
        return schemeAndAuthority.withUnsafeBufferPointer { authority in
            var index = 0
            while index < bytes.count && bytes[index] == authority[index] { index += 1 }
            return index == bytes.count
        }
    }
}

/// The production `HTTPTransport`: plain `http://` through `SocketHTTPTransport`, everything else through
/// `URLSessionTransport`.
///
/// Loopback services (the sandbox, a local Retail emulator) answer plain HTTP; sending them through sockets directly
/// avoids URLSession's per-call libcurl and Dispatch overhead. HTTPS keeps URLSession and the system trust store
/// (DESIGN §12). Both halves follow the same contract: every status returned, redirects not followed, one deadline.
public final class OutboundTransport: HTTPTransport {
    /// Plain-HTTP half.
    public let plain: SocketHTTPTransport
    /// HTTPS half (and any scheme the plain half refuses, which then fails as `.invalidURL` there).
    public let secure: URLSessionTransport

    /// - Parameter maxResponseBytes: the largest body accepted by either half (4 MiB by default).
    public init(maxResponseBytes: Int = 4 * 1024 * 1024) {
        plain = SocketHTTPTransport(maxResponseBytes: maxResponseBytes)
        secure = URLSessionTransport(maxResponseBytes: maxResponseBytes)
    }

    /// Sends `request` through the half its scheme selects.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        if request.url.utf8.count > 7, request.url.prefix(7).lowercased() == "http://" {
            return try plain.send(request)
        }
        return try secure.send(request)
    }

    /// Frees the calling thread's URLSession, if it made one; call it when a thread that used the transport ends.
    public func releaseCurrentThreadSession() {
        secure.releaseCurrentThreadSession()
    }
}

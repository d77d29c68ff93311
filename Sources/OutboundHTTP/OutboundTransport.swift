import PaymentsCore

/// The production `HTTPTransport`: plain `http://` to a loopback host through `SocketHTTPTransport`, every other
/// URL through `URLSessionTransport`.
///
/// Loopback services (the sandbox, a local Retail emulator) answer plain HTTP; sending them through sockets directly
/// avoids URLSession's per-call libcurl and Dispatch overhead. Everything else, HTTPS above all, keeps URLSession and
/// the system trust store (DESIGN §12). A loopback host is `localhost`, an IPv4 address in 127.0.0.0/8 or `::1`.
/// Both halves follow the same contract: every status returned, redirects not followed, one deadline. Built once
/// per process (the responder's `Application`, `payments-sync`'s environment) and passed down as `any HTTPTransport`.
public final class OutboundTransport: HTTPTransport {
    /// Plain-HTTP half, for loopback hosts only.
    public let plain: SocketHTTPTransport
    /// Everything else: HTTPS, plain HTTP to other hosts, and schemes neither half takes (`.invalidURL` there).
    public let secure: URLSessionTransport

    /// - Parameter maxResponseBytes: the largest body accepted by either half (4 MiB by default).
    public init(maxResponseBytes: Int = 4 * 1024 * 1024) {
        plain = SocketHTTPTransport(maxResponseBytes: maxResponseBytes)
        secure = URLSessionTransport(maxResponseBytes: maxResponseBytes)
    }

    /// Sends `request` through the half its URL selects.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        if let route = plain.resolve(request.url), route.origin.isLoopback {
            return try plain.send(request, route: route)
        }
        return try secure.send(request)
    }

    /// Frees the calling thread's URLSession, if it made one (the socket half keeps no per-thread state).
    public func releaseThreadResources() {
        secure.releaseThreadResources()
    }

    /// True for a plain `http://` URL whose host is a loopback address.
    static func usesSockets(_ url: String) -> Bool {
        PlainHTTPTarget(url)?.isLoopback ?? false
    }
}

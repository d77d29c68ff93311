import Foundation
import PaymentsCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An `HTTPTransport` over FoundationNetworking's `URLSession`, called synchronously: the HTTPS half of
/// `OutboundTransport`.
///
/// Each calling thread gets its own `URLSession` (DESIGN §12: one session per outbound thread), kept for the
/// thread's life so connections stay alive between calls. A call blocks its thread on a semaphore until the
/// answer is complete, the deadline (`HTTPRequest.timeout`) passes or the body grows past `maxResponseBytes`.
/// Redirects are never followed: a 3xx answer is returned as is. No cookies, no cache.
public final class URLSessionTransport: HTTPTransport {
    /// Answers larger than this are abandoned with `HTTPTransportError(.tooLarge)`.
    public let maxResponseBytes: Int
    /// The thread-dictionary key of this transport's per-thread session.
    private let threadKey: String

    /// Creates a transport; sessions are made lazily, one per calling thread.
    /// - Parameter maxResponseBytes: the largest body accepted (4 MiB by default).
    public init(maxResponseBytes: Int = 4 * 1024 * 1024) {
        self.maxResponseBytes = maxResponseBytes
        self.threadKey = "tn-payments.URLSessionTransport." + UUID().uuidString
    }

    /// Sends one request and waits for the whole answer.
    /// - Throws: `HTTPTransportError` when no complete answer arrived (timeout, connection failure, too large,
    ///   invalid URL); every HTTP status, including 3xx and 5xx, is returned as an `HTTPResponse`.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else { throw HTTPTransportError(.invalidURL, "not an http(s) URL") }
        let timeout = request.timeout > 0 ? request.timeout : 10
        var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.addValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }

        let bundle = currentSession()
        let exchange = TransportExchange(limit: min(maxResponseBytes, request.maxResponseBytes ?? maxResponseBytes))
        let task = bundle.session.dataTask(with: urlRequest)
        bundle.delegate.register(exchange, for: task.taskIdentifier)
        task.resume()
        if exchange.done.wait(timeout: .now() + timeout) == .timedOut {
            exchange.markDeadlinePassed()
            task.cancel()
            // The cancellation completes quickly; wait briefly so the task's state is settled before returning.
            _ = exchange.done.wait(timeout: .now() + 1)
            bundle.delegate.unregister(task.taskIdentifier)
            throw HTTPTransportError(.timeout, "no complete answer within \(timeout) s")
        }
        bundle.delegate.unregister(task.taskIdentifier)
        return try exchange.result()
    }

    /// Invalidates the calling thread's session, if any; call it when a thread that used the transport ends.
    public func releaseThreadResources() {
        let dictionary = Thread.current.threadDictionary
        if let bundle = dictionary[threadKey] as? SessionBundle {
            bundle.session.finishTasksAndInvalidate()
            dictionary.removeObject(forKey: threadKey)
        }
    }

    /// The calling thread's session, created on first use.
    private func currentSession() -> SessionBundle {
        let dictionary = Thread.current.threadDictionary
        if let existing = dictionary[threadKey] as? SessionBundle { return existing }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 4
        let delegate = TransportDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        let bundle = SessionBundle(session: session, delegate: delegate)
        dictionary[threadKey] = bundle
        return bundle
    }
}

/// A thread's session and its delegate, kept together in the thread dictionary.
private final class SessionBundle: NSObject {
    let session: URLSession
    let delegate: TransportDelegate
    init(session: URLSession, delegate: TransportDelegate) {
        self.session = session
        self.delegate = delegate
    }
}

/// The state of one request while its task runs; written by the delegate queue, read by the calling thread.
private final class TransportExchange: Sendable {
    private struct State {
        var status = 0
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        var error: HTTPTransportError?
        var tooLarge = false
        var deadlinePassed = false
    }

    let done = DispatchSemaphore(value: 0)
    private let limit: Int
    private let state = Locked(State())

    init(limit: Int) { self.limit = limit }

    /// Records the status line and headers; returns false when the announced length already exceeds the limit.
    func receive(_ response: URLResponse) -> Bool {
        guard let http = response as? HTTPURLResponse else { return true }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            guard let name = key as? String else { continue }
            headers[name.lowercased()] = value as? String ?? "\(value)"
        }
        let tooLarge = response.expectedContentLength > Int64(limit)
        state.withLock {
            $0.status = http.statusCode
            $0.headers = headers
            if tooLarge { $0.tooLarge = true }
        }
        return !tooLarge
    }

    /// Appends body bytes; returns false (and drops them) once the body exceeds the limit.
    func receive(_ data: Data) -> Bool {
        state.withLock { s in
            guard !s.tooLarge else { return false }
            if s.body.count + data.count > limit {
                s.tooLarge = true
                s.body = []
                return false
            }
            s.body.append(contentsOf: data)
            return true
        }
    }

    func complete(_ error: (any Error)?) {
        state.withLock { s in
            guard let error, s.error == nil else { return }
            s.error = TransportExchange.classify(error)
        }
        done.signal()
    }

    func markDeadlinePassed() { state.withLock { $0.deadlinePassed = true } }

    /// The finished answer, or the reason there is none.
    func result() throws(HTTPTransportError) -> HTTPResponse {
        let s = state.withLock { $0 }
        if s.tooLarge { throw HTTPTransportError(.tooLarge, "answer larger than \(limit) bytes") }
        if s.deadlinePassed { throw HTTPTransportError(.timeout, "no complete answer in time") }
        if let error = s.error { throw error }
        guard s.status > 0 else { throw HTTPTransportError(.connection, "no HTTP answer") }
        return HTTPResponse(status: s.status, headers: s.headers, body: s.body)
    }

    /// Maps a URLSession failure to the transport's kinds; the detail names the code, never the URL.
    static func classify(_ error: any Error) -> HTTPTransportError {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .timedOut: return HTTPTransportError(.timeout, "timed out")
            case .badURL, .unsupportedURL: return HTTPTransportError(.invalidURL, "unsupported URL")
            default: return HTTPTransportError(.connection, "URLError \(urlError.code.rawValue)")
            }
        }
        let nsError = error as NSError
        return HTTPTransportError(.connection, "\(nsError.domain) \(nsError.code)")
    }
}

/// Routes each task's callbacks to its exchange, refuses redirects and enforces the body limit.
///
/// `@unchecked Sendable`: its only mutable state, the task table, sits behind a `Locked`; everything else is a `let`.
private final class TransportDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let exchanges = Locked<[Int: TransportExchange]>([:])

    func register(_ exchange: TransportExchange, for task: Int) { exchanges.withLock { $0[task] = exchange } }
    func unregister(_ task: Int) { _ = exchanges.withLock { $0.removeValue(forKey: task) } }
    private func exchange(_ task: URLSessionTask) -> TransportExchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let accepted = exchange(dataTask)?.receive(response) ?? true
        completionHandler(accepted ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if exchange(dataTask)?.receive(data) == false { dataTask.cancel() }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // Never follow: the caller sees the 3xx answer itself.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        exchange(task)?.complete(error)
    }
}

import CoreMetrics

/// One outbound service's call series: the duration of every call that reached the transport, and the failures
/// by kind (DESIGN §3's failures: no answer, a 5xx, an open circuit).
public struct OutboundMeter: Sendable {
    /// Why a call failed, the `kind` label of `payments_outbound_errors_total`.
    public enum ErrorKind: String, Sendable, CaseIterable {
        case timeout
        case connection
        case invalidURL = "invalid_url"
        case tooLarge = "too_large"
        case serverError = "http_5xx"
        case circuitOpen = "circuit_open"

        /// The kind of a transport failure; anything that is not an `HTTPTransportError` counts as `connection`.
        init(_ error: any Error) {
            guard let transportError = error as? HTTPTransportError else {
                self = .connection
                return
            }
            switch transportError.kind {
            case .timeout: self = .timeout
            case .connection: self = .connection
            case .invalidURL: self = .invalidURL
            case .tooLarge: self = .tooLarge
            }
        }
    }

    /// The service name, the `service` label (`stripe`, `firebase`, `retail`, ...).
    public let service: String
    private let metrics: Metrics
    private let duration: CoreMetrics.Timer

    init(service: String, metrics: Metrics) {
        self.service = service
        self.metrics = metrics
        duration = metrics.timer(MetricName.outboundDuration, labels: [("service", service)])
    }

    /// Sends `request` through `transport`, recording the call's duration and, when it fails, its kind.
    /// - Returns: the transport's answer, whatever its status (a 5xx is counted, and returned).
    /// - Throws: the transport's error, unchanged.
    public func send(_ request: HTTPRequest, through transport: any HTTPTransport) throws -> HTTPResponse {
        let started = ContinuousClock.now
        let result = Result { try transport.send(request) }
        record(result, since: started)
        return try result.get()
    }

    /// Sends `requests` together (`HTTPTransport.send(all:)`), recording each call like `send(_:through:)`; each
    /// call's duration is the whole group's, the time its caller waited for it.
    public func send(all requests: [HTTPRequest], through transport: any HTTPTransport)
        -> [Result<HTTPResponse, any Error>]
    {
        let started = ContinuousClock.now
        let results = transport.send(all: requests)
        for result in results { record(result, since: started) }
        return results
    }

    /// Records one call's duration and, when it failed or answered a 5xx, its kind.
    private func record(_ result: Result<HTTPResponse, any Error>, since started: ContinuousClock.Instant) {
        recordDuration(since: started)
        switch result {
        case .success(let response): if response.status >= 500 { count(.serverError) }
        case .failure(let error): count(ErrorKind(error))
        }
    }

    /// Counts one failure (`circuitOpen` when the breaker refused the call before it was made).
    public func count(_ kind: ErrorKind) {
        metrics.increment(MetricName.outboundErrors, labels: [("service", service), ("kind", kind.rawValue)])
    }

    private func recordDuration(since started: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - started).components
        duration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}

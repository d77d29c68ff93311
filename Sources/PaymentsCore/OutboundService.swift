/// Calls one outside service (a gateway or Retail) through the transport, its circuit breaker and the timeout,
/// turning failures into the client contract: 502 for 5xx / timeout / refused, 503 with `Retry-After` when open.
public struct OutboundService: Sendable {
    public let name: String
    public let transport: any HTTPTransport
    public let breaker: CircuitBreaker
    public let timeout: Double

    public init(name: String, transport: any HTTPTransport, breaker: CircuitBreaker, timeout: Double) {
        self.name = name
        self.transport = transport
        self.breaker = breaker
        self.timeout = timeout
    }

    /// Sends `request`; answers below 500 are returned for the caller to interpret.
    public func send(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        if let wait = breaker.admit() {
            throw APIError(
                .circuitOpen, "\(name) is unavailable, retry later", headers: [("Retry-After", String(wait))])
        }
        var request = request
        request.timeout = min(request.timeout, timeout)
        let response: HTTPResponse
        do {
            response = try transport.send(request)
        } catch {
            breaker.recordFailure()
            throw APIError(.gatewayUnavailable, "\(name) did not answer", cause: error)
        }
        if response.status >= 500 {
            breaker.recordFailure()
            throw APIError(.gatewayUnavailable, "\(name) answered \(response.status)")
        }
        breaker.recordSuccess()
        return response
    }
}

/// Calls one outside service (a gateway or Retail) through the transport, its circuit breaker and the timeout,
/// turning failures into the client contract: 502 for 5xx / timeout / refused, 503 with `Retry-After` when open.
/// Each call's duration and failure are recorded by the service's meter, when it has one.
public struct OutboundService: Sendable {
    public let name: String
    public let transport: any HTTPTransport
    public let breaker: CircuitBreaker
    public let timeout: Double
    /// Records the calls (`CircuitBreakerTable` gives every service one; nil records nothing).
    public let meter: OutboundMeter?

    public init(
        name: String, transport: any HTTPTransport, breaker: CircuitBreaker, timeout: Double,
        meter: OutboundMeter? = nil
    ) {
        self.name = name
        self.transport = transport
        self.breaker = breaker
        self.timeout = timeout
        self.meter = meter
    }

    /// Sends `request`; answers below 500 are returned for the caller to interpret.
    public func send(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        if let wait = breaker.admit() {
            meter?.count(.circuitOpen)
            throw APIError(
                .circuitOpen, "\(name) is unavailable, retry later", headers: [("Retry-After", String(wait))])
        }
        var request = request
        request.timeout = min(request.timeout, timeout)
        let response: HTTPResponse
        do {
            if let meter {
                response = try meter.send(request, through: transport)
            } else {
                response = try transport.send(request)
            }
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

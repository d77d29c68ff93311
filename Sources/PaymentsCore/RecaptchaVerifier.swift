/// Checks reCAPTCHA tokens of web clients against the verify endpoint (DESIGN §4).
///
/// Mobile platforms (`ios`, `android`) are not checked: their apps have no reCAPTCHA widget.
public struct RecaptchaVerifier: RecaptchaChecking {
    /// The field name every failure reports, as the client expects.
    public static let field = "recaptcha_token"

    public let configuration: RecaptchaConfiguration
    private let service: OutboundService

    /// - Parameter service: the outbound client for the verify URL, with its own `recaptcha` circuit breaker.
    public init(configuration: RecaptchaConfiguration, service: OutboundService) {
        self.configuration = configuration
        self.service = service
    }

    /// Builds the outbound client itself: service `recaptcha`, a fresh `CircuitBreaker(service: "recaptcha")`.
    public init(configuration: RecaptchaConfiguration, transport: any HTTPTransport, timeout: Double) {
        let service = OutboundService(
            name: "recaptcha", transport: transport, breaker: CircuitBreaker(service: "recaptcha"), timeout: timeout)
        self.init(configuration: configuration, service: service)
    }

    /// Accepts when disabled, for non-web platforms, or when the endpoint reports `success`, a score at or above
    /// the minimum (if it gives one), an action among `expectedActions` (if it gives one and the list is not empty)
    /// and, when `RECAPTCHA_HOSTNAMES` is set, a `hostname` on that list (a missing hostname is refused then).
    /// - Throws: `APIError` 400 naming `recaptcha_token` for a missing or rejected token; 503 when the verify
    ///   endpoint cannot be reached or answers nonsense.
    public func check(token: String?, platform: String, expectedActions: [String]) throws(APIError) {
        guard configuration.enabled, platform.lowercased() == "web" else { return }
        guard let token, !token.isEmpty else { throw APIError.badField(Self.field, "is missing") }
        let body = FormEncoding.encode([("secret", configuration.secret.value), ("response", token)])
        let request = HTTPRequest(
            method: "POST", url: configuration.verifyURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
        let response: HTTPResponse
        do throws(APIError) {
            response = try service.send(request)
        } catch {
            throw Self.unavailable(error.headers, cause: error)
        }
        guard response.status == 200, let answer = response.json, case .object = answer else {
            throw Self.unavailable([], cause: nil)
        }
        guard answer["success"]?.boolValue == true else { throw Self.rejected }
        if let scoreText = answer["score"]?.numberText {
            // A score outside 0...1 (`1e400` reads as infinity) is no reCAPTCHA answer.
            guard let score = Double(scoreText), (0...1).contains(score), score >= configuration.minScore else {
                throw Self.rejected
            }
        }
        if let action = answer["action"]?.stringValue, !expectedActions.isEmpty, !expectedActions.contains(action) {
            throw Self.rejected
        }
        if !configuration.hostnames.isEmpty {
            guard let hostname = answer["hostname"]?.stringValue,
                configuration.hostnames.contains(hostname.lowercased())
            else { throw Self.rejected }
        }
    }

    private static var rejected: APIError { APIError.badField(field, "failed verification") }

    private static func unavailable(_ headers: [(String, String)], cause: APIError?) -> APIError {
        APIError(
            .circuitOpen, "reCAPTCHA verification is temporarily unavailable",
            headers: headers.isEmpty ? [("Retry-After", "5")] : headers, cause: cause)
    }
}

/// The caller of a client route, taken from a verified Firebase ID token and nothing else.
public struct AuthenticatedUser: Sendable, Equatable {
    public let uid: String
    public let emailVerified: Bool
    public let signInProvider: String?

    public init(uid: String, emailVerified: Bool, signInProvider: String?) {
        self.uid = uid
        self.emailVerified = emailVerified
        self.signInProvider = signInProvider
    }
}

/// Verifies the bearer token of a client route.
///
/// Throws `APIError` 401 for a missing, malformed, forged or expired token and 503 when the signing
/// certificates cannot be had (never 401 in that case, so the client does not log the user out).
public protocol Authenticator: Sendable {
    func authenticate(authorizationHeader: String?) throws(APIError) -> AuthenticatedUser
    /// Loads what authentication needs from outside (key sets) before the first request; may block on the network,
    /// so it runs off the request path. Failures are left for the first request to meet.
    func prepare()
}

extension Authenticator {
    public func prepare() {}
}

/// Checks a reCAPTCHA token for a route (DESIGN §4).
///
/// Throws 400 naming `recaptcha_token` when the check fails and 503 when the verify endpoint is down.
public protocol RecaptchaChecking: Sendable {
    func check(token: String?, platform: String, expectedActions: [String]) throws(APIError)
}

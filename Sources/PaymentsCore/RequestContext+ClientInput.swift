/// The opening every client payment route shares: who is calling, the JSON body, the amount, reCAPTCHA.
extension RequestContext {
    /// The caller, the body and its validated `amount` (400 naming the field), checked in that order; when
    /// `recaptchaActions` is non-nil the route takes `recaptcha_token` and `platform` and the token is verified last,
    /// so a malformed request never costs a verification call.
    public func paymentRequest(recaptchaActions: [String]?) throws -> (
        user: AuthenticatedUser, body: JSONValue, amount: Money
    ) {
        let user = try requireUser()
        let body = try jsonBody()
        let amount = try PaymentInput.amount(body, range: services.core.amountRange)
        if let recaptchaActions { try checkRecaptcha(body, actions: recaptchaActions) }
        return (user, body, amount)
    }

    /// Verifies the body's `recaptcha_token` for its `platform` (DESIGN §4).
    public func checkRecaptcha(_ body: JSONValue, actions: [String]) throws {
        let platform = try PaymentInput.platform(body)
        try services.recaptcha.check(
            token: try PaymentInput.optionalString(body, "recaptcha_token"), platform: platform,
            expectedActions: actions)
    }
}

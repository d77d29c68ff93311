/// The reCAPTCHA v3 `action` each web payment route accepts (DESIGN §4; the README's table lists them).
///
/// A token minted for another action (a login form, another site's widget on the same key) is refused, so a token
/// farm for a cheap action cannot be spent on payments. Tokens whose answer carries no `action` (v2) are judged by
/// `success` and score alone.
public enum RecaptchaAction {
    /// `stripe-getPaymentIntent` and `stripe-getPaymentIntentStatus`: the web client's Stripe flow mints its tokens
    /// with `stripe_payment` (research: real-client, the status call after the redirect).
    public static let stripePayment = "stripe_payment"
    /// `paypal-createOrder`.
    public static let paypalPayment = "paypal_payment"
}

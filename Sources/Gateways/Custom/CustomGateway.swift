import Logging
import PaymentsCore

/// An operator-configured hosted-checkout gateway (DESIGN §2 "Operator-configured gateways"): `<id>-createPayment`
/// writes a session and answers its checkout link; `<id>-handleWebhookEvents` settles the gateway's HMAC-signed
/// notifications. There is no gateway API to call: the session is linked to its own `public_id` at creation.
public struct CustomGateway: PaymentGateway {
    /// The longest `success_url` / `cancel_url` a client may pass.
    static let maximumReturnURLLength = 2048

    let configuration: CustomGatewayConfiguration
    let webhook: CustomWebhook

    public init(_ configuration: CustomGatewayConfiguration) {
        self.configuration = configuration
        webhook = CustomWebhook(configuration: configuration)
    }

    /// One registry line per id in `CUSTOM_GATEWAYS` (prefix and ledger id `<id>`), in the listed order.
    ///
    /// - Parameters:
    ///   - config: the configuration values.
    ///   - taken: route prefixes and ledger ids of the code-level registrations; an id among them is refused.
    /// - Throws: `ConfigurationError` naming the first bad variable.
    public static func registrations(in config: ConfigReader, taken: Set<String>) throws(ConfigurationError)
        -> [GatewayRegistration]
    {
        let configured = try CustomGatewaysConfiguration(
            config, reservedIDs: CustomGatewaysConfiguration.reservedIDs.union(taken))
        return configured.gateways.map { gateway in
            GatewayRegistration(prefix: gateway.id, ledgerID: gateway.id, enabledKey: nil) { _ in
                CustomGateway(gateway)
            }
        }
    }

    /// `payments-sync events replay`: a stored delivery through the webhook path again.
    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }

    public var routes: [Route] {
        [
            Route(.post, "createPayment", access: .client, handler: createPayment),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `<id>-createPayment {amount, success_url?, cancel_url?}`: one `pending` session linked to its own `public_id`,
    /// answered `{session_id, amount, currency, url?}` (DESIGN §2).
    func createPayment(_ context: RequestContext) throws -> APIResponse {
        let (user, body, amount) = try context.paymentRequest(recaptchaActions: nil)
        let successURL = try returnURL(body, "success_url")
        let cancelURL = try returnURL(body, "cancel_url")
        return try SessionCreation.run(context, gateway: configuration.id, uid: user.uid, amount: amount) { session in
            var fields: [(String, JSONValue)] = [
                ("session_id", .string(session.publicID)), ("amount", .int(amount.cents)), ("currency", .string("USD")),
            ]
            if let checkout = configuration.checkoutURL {
                let url = checkout.url(
                    sessionID: session.publicID, amount: amount, successURL: successURL, cancelURL: cancelURL)
                fields.append(("url", .string(url)))
            }
            return SessionCreation.Created(
                externalID: session.publicID, echoedReference: session.publicID, answer: .json(.object(fields)))
        }
    }

    /// An optional return URL: a string of at most `maximumReturnURLLength` characters without blanks or control
    /// characters (it is only ever substituted, URL-encoded, into the checkout link).
    private func returnURL(_ body: JSONValue, _ field: String) throws(APIError) -> String? {
        guard let url = try PaymentInput.optionalString(body, field) else { return nil }
        guard url.count <= CustomGateway.maximumReturnURLLength,
            url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { throw APIError.badField(field, "must be a URL of at most 2048 characters without blanks") }
        return url
    }
}

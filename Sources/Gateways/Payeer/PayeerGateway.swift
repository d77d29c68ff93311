import Logging
import PaymentsCore

/// Payeer's merchant form (SCI): the client posts the signed form this backend builds to Payeer's page, and Payeer's
/// signed status notification credits the session (research §2).
public struct PayeerGateway: PaymentGateway {
    /// The `gateway` value of Payeer's ledger rows, sessions and events.
    static let ledgerID = "payeer"
    /// Payeer's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "payeer", ledgerID: ledgerID, enabledKey: "PAYEER_ENABLED", make: PayeerGateway.init)
    /// The description shown on Payeer's page (sent base64-encoded as `m_desc`).
    static let orderDescription = "Balance top-up"

    let configuration: PayeerConfiguration
    let webhook: PayeerWebhook

    public init(_ context: GatewayContext) throws {
        configuration = try PayeerConfiguration(context.config)
        webhook = PayeerWebhook(
            configuration: configuration, signature: PayeerSignature(secretKey: configuration.secretKey))
    }

    /// `payments-sync events replay`: a stored delivery through the webhook path again.
    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }

    public var routes: [Route] {
        [
            Route(.post, "createOrder", access: .client, handler: createOrder),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `payeer-createOrder {amount, success_url, fail_url}`: one session whose `public_id` is the `m_orderid`, then
    /// the signed form (there is no Payeer call: the client posts the form to Payeer's merchant page).
    func createOrder(_ context: RequestContext) throws -> APIResponse {
        let (user, body, amount) = try context.paymentRequest(recaptchaActions: nil)
        let successURL = try PaymentInput.returnURL(body, "success_url")
        let failURL = try PaymentInput.returnURL(body, "fail_url")
        return try SessionCreation.run(context, gateway: PayeerGateway.ledgerID, uid: user.uid, amount: amount) {
            session in
            let form = try PayeerOrderForm(
                configuration: configuration, orderID: session.publicID, amount: amount,
                description: PayeerGateway.orderDescription, successURL: successURL, failURL: failURL)
            return SessionCreation.Created(
                externalID: form.orderID, echoedReference: form.orderID, answer: APIResponse.json(form.json))
        }
    }
}

extension PaymentInput {
    /// A required `http(s)://` return URL of at most 255 characters.
    static func returnURL(_ body: JSONValue, _ field: String) throws(APIError) -> String {
        let url = try string(body, field, maxLength: 255)
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), !url.contains(where: \.isWhitespace) else {
            throw APIError.badField(field, "must be an http or https URL")
        }
        return url
    }
}

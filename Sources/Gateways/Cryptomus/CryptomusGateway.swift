import Logging
import PaymentsCore

/// Cryptomus: USD invoices paid in crypto, PHP-signed webhooks confirmed by re-reading the invoice, refunds.
public struct CryptomusGateway: PaymentGateway {
    /// The `gateway` value of Cryptomus's ledger rows, sessions and events.
    static let ledgerID = "cryptomus"
    /// Cryptomus's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "cryptomus", ledgerID: ledgerID, enabledKey: "CRYPTOMUS_ENABLED", make: CryptomusGateway.init)

    let configuration: CryptomusConfiguration
    let services: GatewayServices
    let invoices: CryptomusInvoices
    let webhook: CryptomusWebhook

    public init(_ context: GatewayContext) throws {
        configuration = try CryptomusConfiguration(context.config)
        services = context.services
        let api = CryptomusAPI(configuration: configuration, service: services.outbound("cryptomus"))
        invoices = CryptomusInvoices(api: api, creditOverpayment: configuration.creditOverpayment)
        webhook = CryptomusWebhook(
            configuration: configuration, signature: CryptomusSignature(paymentKey: configuration.paymentKey),
            invoices: invoices)
    }

    public var publicKeys: [(String, String)] { [("cryptomusMerchantId", configuration.merchantID)] }

    public var routes: [Route] {
        [
            Route(.post, "createPayment", access: .client, handler: createPayment),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `cryptomus-createPayment {amount, url_return, url_success}`: session first, then the invoice (whose `order_id`
    /// is the session's `public_id`, so a retry returns the same invoice), then `{url}` (DESIGN §1.1).
    func createPayment(_ context: RequestContext) throws -> APIResponse {
        let (user, body, amount) = try context.paymentRequest(recaptchaActions: nil)
        let urlReturn = try returnURL(body, "url_return")
        let urlSuccess = try returnURL(body, "url_success")
        let callback =
            services.core.publicBaseURL + "/"
            + Router.name(prefix: CryptomusGateway.registration.prefix, action: "handleWebhookEvents")
        return try SessionCreation.run(context, gateway: CryptomusGateway.ledgerID, uid: user.uid, amount: amount) {
            session in
            let invoice = try invoices.api.createInvoice(
                session: session, urlCallback: callback, urlReturn: urlReturn, urlSuccess: urlSuccess)
            guard let url = invoice.url, invoice.currency?.uppercased() == "USD",
                invoice.amount.flatMap({ Money.exactCents(fromDecimal: $0) }) == amount
            else { throw APIError(.gatewayUnavailable, "cryptomus answered an incomplete invoice") }
            return SessionCreation.Created(
                externalID: invoice.uuid, echoedReference: invoice.orderID,
                answer: APIResponse.json(.object([("url", .string(url))])))
        }
    }

    /// A required return URL: https, on an origin listed in `CRYPTOMUS_RETURN_ORIGINS`, at most 255 characters.
    private func returnURL(_ body: JSONValue, _ field: String) throws(APIError) -> String {
        let url = try PaymentInput.string(body, field, maxLength: 255)
        guard url.count >= 6, configuration.isAllowedReturnURL(url) else {
            throw APIError.badField(field, "must be an https URL on an allowed origin")
        }
        return url
    }

    /// Reconciliation (DESIGN §8): an invoice whose webhook never arrived is re-read and settled like a webhook; a
    /// `creating` session is found by its `order_id`, or closed as failed when Cryptomus never created the invoice.
    public func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult {
        var current = session
        let invoice: CryptomusInvoice
        if let externalID = session.externalID {
            invoice = try invoices.api.paymentInfo(uuid: externalID)
        } else {
            do {
                invoice = try invoices.api.paymentInfo(orderID: session.publicID)
            } catch let failure as CryptomusAPI.Failure where failure.isNotFound {
                return .closed(.failed)
            }
            guard invoice.orderID == session.publicID else { return .closed(.failed) }
            try ledger.attachExternalID(sessionID: session.id, externalID: invoice.uuid, status: .pending)
            current.externalID = invoice.uuid
            current.status = .pending
        }
        let settlement = Settlement(ledger: ledger, gateway: CryptomusGateway.ledgerID, logger: logger)
        return try settlement.settle([invoices.fact(invoice, session: current)]).reconcileResult
    }
}

import Foundation
import Logging
import PaymentsCore

/// PayPal: Orders v2 created and captured for the web client, offline-verified webhooks, refunds and reversals.
public struct PayPalGateway: PaymentGateway {
    /// The `gateway` value of PayPal's ledger rows, sessions and events.
    static let ledgerID = "paypal"
    /// PayPal's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "paypal", ledgerID: ledgerID, enabledKey: "PAYPAL_ENABLED", make: PayPalGateway.init)

    let configuration: PayPalConfiguration
    let services: GatewayServices
    let orders: PayPalOrders
    let webhook: PayPalWebhook
    /// The OAuth token shared by every worker.
    public let tokens: PayPalTokenProvider

    public init(_ context: GatewayContext) throws {
        try self.init(context, clock: { Int64(Date().timeIntervalSince1970) })
    }

    /// - Parameter clock: unix seconds now, for token expiry and certificate validity (tests pin it).
    public init(_ context: GatewayContext, clock: @escaping @Sendable () -> Int64) throws {
        configuration = try PayPalConfiguration(context.config)
        services = context.services
        let service = services.outbound("paypal")
        tokens = PayPalTokenProvider(configuration: configuration, service: service, clock: clock)
        orders = PayPalOrders(api: PayPalAPI(configuration: configuration, service: service, tokens: tokens))
        let certificates = PayPalCertificateStore(
            allowedHosts: configuration.certHosts, commonNameSuffix: configuration.certCommonNameSuffix,
            trustRoots: configuration.trustRoots, service: services.outbound("paypal-certs"))
        webhook = PayPalWebhook(
            signature: PayPalSignature(webhookID: configuration.webhookID, certificates: certificates),
            orders: orders,
            clock: clock)
    }

    public var publicKeys: [(String, String)] { [("paypalClientId", configuration.clientID)] }

    public var routes: [Route] {
        [
            Route(.post, "createOrder", access: .client, handler: createOrder),
            Route(.post, "captureOrder", access: .client, handler: captureOrder),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `paypal-createOrder`: session first, then the order, then the link (DESIGN §1.1); answers `{id, status, links}`.
    func createOrder(_ context: RequestContext) throws -> APIResponse {
        let (user, _, amount) = try context.paymentRequest(recaptchaActions: [RecaptchaAction.paypalPayment])
        return try SessionCreation.run(context, gateway: PayPalGateway.ledgerID, uid: user.uid, amount: amount) {
            session in
            let (order, _) = try orders.api.createOrder(session: session)
            let answer = APIResponse.json(
                .object([
                    ("id", .string(order.id)), ("status", .string(order.status)), ("links", order.links),
                ]))
            return SessionCreation.Created(
                externalID: order.id, echoedReference: PayPalOrder.publicID(fromCustomID: order.customID),
                answer: answer)
        }
    }

    /// `paypal-captureOrder`: the caller's own order, re-read and captured from APPROVED, credited once.
    func captureOrder(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let orderID = try PaymentInput.string(body, "order_id", maxLength: 64)
        guard let session = try context.ledger.session(gateway: PayPalGateway.ledgerID, externalID: orderID),
            session.uid == user.uid
        else { throw APIError(.notFound, "order not found") }
        let settlement = Settlement(context, gateway: PayPalGateway.ledgerID)
        switch try orders.captureAndSettle(
            orderID: orderID, session: session, settlement: settlement, logger: context.logger)
        {
        case .credited:
            return .success
        case .pending:
            return .json(.object([("result", .string("pending"))]), status: 202)
        case .declined:
            throw APIError(.paymentDeclined, "paypal declined the payment")
        case .notApproved:
            throw APIError(.conflict, "the order is not approved by the buyer")
        case .expired:
            throw APIError(.conflict, "the order has expired")
        case .voided:
            throw APIError(.conflict, "the order was voided")
        case .referred:
            throw APIError(.conflict, "the payment does not match the order and was referred to an operator")
        case .notOurs:
            throw APIError(.gatewayUnavailable, "paypal answered an order that is not this session's")
        }
    }

    /// Reconciliation (DESIGN §8): a `creating` session is recovered through its create request id; an APPROVED
    /// order whose capture call never came is captured, PENDING captures are re-read — all through the capture path.
    public func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult {
        var current = session
        if current.externalID == nil {
            let (order, _) = try orders.api.createOrder(session: session)
            guard PayPalOrder.publicID(fromCustomID: order.customID) == session.publicID else {
                return .closed(.failed)
            }
            try ledger.attachExternalID(sessionID: session.id, externalID: order.id, status: .pending)
            current.externalID = order.id
        }
        guard let orderID = current.externalID else { return .unchanged }
        let settlement = Settlement(ledger: ledger, gateway: PayPalGateway.ledgerID, logger: logger)
        switch try orders.captureAndSettle(orderID: orderID, session: current, settlement: settlement, logger: logger) {
        case .credited: return .credited
        case .pending, .notApproved: return .unchanged
        case .declined, .notOurs, .referred: return .closed(.failed)
        case .expired: return .closed(.expired)
        case .voided: return .closed(.canceled)
        }
    }
}

import Foundation
import Logging
import PaymentsCore

/// Google Play: one-time consumable products redeemed by purchase token, refunds from Real-time developer
/// notifications pushed by Pub/Sub.
public struct GooglePlayGateway: PaymentGateway {
    /// The `gateway` value of Google Play's ledger rows and events (DESIGN §2).
    static let ledgerID = "gplay"
    /// Google Play's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "googleplay", ledgerID: ledgerID, enabledKey: "GOOGLE_PLAY_ENABLED", make: GooglePlayGateway.init)

    let purchases: GooglePlayPurchases
    let webhook: GooglePlayWebhook
    /// The Android Publisher access token shared by every worker.
    public let tokens: GooglePlayTokenProvider

    public init(_ context: GatewayContext) throws {
        try self.init(context, clock: { Int64(Date().timeIntervalSince1970) })
    }

    /// - Parameter clock: unix seconds now, for the access token's expiry and the push tokens' times (tests pin it).
    public init(_ context: GatewayContext, clock: @escaping @Sendable () -> Int64) throws {
        let configuration = try GooglePlayConfiguration(context.config)
        let service = context.services.outbound("googleplay")
        tokens = GooglePlayTokenProvider(account: configuration.serviceAccount, service: service, clock: clock)
        purchases = GooglePlayPurchases(
            api: GooglePlayAPI(configuration: configuration, service: service, tokens: tokens),
            products: configuration.products)
        webhook = GooglePlayWebhook(
            packageName: configuration.packageName,
            verifier: GooglePlayPushVerifier(
                configuration: configuration, service: context.services.outbound("google-oidc"), now: clock))
    }

    /// `payments-sync events replay`: a stored delivery through the webhook path again.
    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }

    public var routes: [Route] {
        [
            Route(.post, "createTransaction", access: .client, handler: createTransaction),
            Route(.post, "handleWebhookEvents", access: .webhook, handler: webhook.handle),
        ]
    }

    /// `googleplay-createTransaction {productId, purchaseToken}`: the caller's own purchase, read from Google,
    /// credited once under its `orderId`, then consumed (DESIGN §1 item 4).
    func createTransaction(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let productID = try PaymentInput.string(body, "productId", maxLength: 255)
        let purchaseToken = try PaymentInput.string(body, "purchaseToken", maxLength: 4096)
        try purchases.redeem(
            productID: productID, purchaseToken: purchaseToken, uid: user.uid,
            settlement: Settlement(context, gateway: Self.ledgerID), logger: context.logger)
        return .success
    }
}

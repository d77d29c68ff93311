import Logging
import PaymentsCore

/// Handles `googleplay-handleWebhookEvents`: a Pub/Sub push authenticated by its OIDC bearer token, carrying one
/// Real-time developer notification; deliveries are deduplicated on `messageId` (DESIGN §5).
///
/// Only `voidedPurchaseNotification` moves money: the voided order, credited here, is taken back whole as one
/// negative row `<orderId>-refund`, however many notifications name it. A void of an order never credited here
/// (the purchase was refunded before it was redeemed, and being voided it can no longer be) is recorded as
/// `not-credited` and answered 200, so Pub/Sub stops redelivering it. A quantity-based partial refund (`refundType`
/// 2) does not say how much was refunded, so it goes to an operator. Test notifications, one-time product
/// notifications (the app redeems the purchase itself), subscriptions and other packages are recorded without effect.
struct GooglePlayWebhook: WebhookHandling {
    let packageName: String
    let verifier: GooglePlayPushVerifier
    var ledgerID: String { GooglePlayGateway.ledgerID }

    func verifiedDelivery(_ context: RequestContext) throws -> WebhookDelivery<GooglePlayDeveloperNotification> {
        do {
            try verifier.verify(authorizationHeader: context.request.header("authorization"))
        } catch let error where error.code == .unauthorized {
            throw WebhookRejection(error)
        }
        guard let body = try? JSONValue.parse(context.request.body) else {
            throw APIError(.badRequest, "body is not a Pub/Sub push")
        }
        let message = try GooglePlayPushMessage(body: body)
        return WebhookDelivery(
            event: message.notification, eventID: message.messageID, eventType: Self.type(of: message.notification),
            checkFirst: false)
    }

    /// A stored Pub/Sub push, read as `verifiedDelivery` reads it once its OIDC token passed (the token is never
    /// stored).
    func storedEvent(_ stored: WebhookEventRecord) throws -> GooglePlayDeveloperNotification? {
        guard let body = try? JSONValue.parse(stored.payload) else {
            throw APIError(.badRequest, "stored payload is not a Pub/Sub push")
        }
        return try GooglePlayPushMessage(body: body).notification
    }

    func facts(for notification: GooglePlayDeveloperNotification, settlement: Settlement, logger: Logger) throws
        -> [SettlementFact]
    {
        guard notification.packageName == packageName else { return [.ignored(reason: "not-ours")] }
        switch notification.kind {
        case .test:
            return [.ignored(reason: "test")]
        case .oneTimeProduct, .other:
            return [.ignored(reason: "ignored")]
        case .voidedPurchase(let voided):
            if voided.productType == 1 { return [.ignored(reason: "ignored")] }
            guard try settlement.isBooked(voided.orderID) else { return [.ignored(reason: "not-credited")] }
            if voided.refundType == 2 {
                return [
                    .needsOperator(
                        .init(
                            reference: voided.orderID, reason: "partial-refund",
                            detail: "google play voided part of order \(voided.orderID) (refundType 2)"))
                ]
            }
            return [
                .refunded(
                    .init(
                        id: "\(voided.orderID)-refund", paymentID: voided.orderID, kind: .refund, amount: .wholePayment)
                )
            ]
        }
    }

    /// The event type stored with the delivery: the notification's member name.
    static func type(of notification: GooglePlayDeveloperNotification) -> String {
        switch notification.kind {
        case .voidedPurchase: "voidedPurchaseNotification"
        case .oneTimeProduct: "oneTimeProductNotification"
        case .test: "testNotification"
        case .other: "other"
        }
    }
}

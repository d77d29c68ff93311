import Logging
import PaymentsCore

/// Redeems a Play purchase for the user who made it: Google's mechanics (read the purchase, check its owner and
/// state, consume it once the credit is committed) around the engine's credit.
struct GooglePlayPurchases: Sendable {
    let api: GooglePlayAPI
    /// USD cents by product id (`GOOGLE_PLAY_PRODUCTS`).
    let products: ProductTable

    /// Credits the purchase `purchaseToken` of `productID` to `uid` once, under its `orderId`, then consumes it.
    ///
    /// Nothing is written and nothing consumed for an unknown product (400), a token Google does not know (400),
    /// another user's purchase (404) or one that is not paid (409: pending, it can be redeemed once it completes;
    /// canceled, never). A purchase already credited is only consumed again if it still needs it, so a replay by its
    /// owner writes nothing. Consuming comes after the credit commits; when Google fails then (5xx), the call answers
    /// 502 and a retry consumes.
    /// - Throws: `APIError` as above; `GooglePlayAPI.Failure` and 502/503 from Google; `LedgerError` from the engine.
    func redeem(productID: String, purchaseToken: String, uid: String, settlement: Settlement, logger: Logger) throws {
        guard let price = products.price(of: productID) else {
            throw APIError.badField("productId", "is not a product sold here")
        }
        let purchase = try api.productPurchase(productID: productID, purchaseToken: purchaseToken)
        guard GooglePlayAccountBinding.binds(purchase, to: uid) else {
            logger.notice("google play purchase bound to another account, refused")
            throw APIError(.notFound, "purchase not found")
        }
        guard let orderID = purchase.orderID, !orderID.isEmpty else {
            throw APIError(.badRequest, "google play reports no order for this purchase")
        }
        var logger = logger
        logger[metadataKey: "payment.id"] = "\(orderID)"
        if let booked = try settlement.ledger.entry(paymentID: orderID) {
            guard booked.uid == uid, booked.gateway == settlement.gateway else {
                throw LedgerError(.integrity, "google play order \(orderID) is booked for another user or gateway")
            }
            if purchase.state == .purchased {
                try consume(purchase, productID: productID, purchaseToken: purchaseToken, logger: logger)
            }
            return
        }
        switch purchase.state {
        case .purchased:
            break
        case .pending:
            throw APIError(.conflict, "the purchase is pending; redeem it once it completes")
        case .canceled, .other:
            throw APIError(.conflict, "the purchase was canceled")
        }
        let (cents, overflow) = price.cents.multipliedReportingOverflow(by: max(purchase.quantity, 1))
        guard !overflow else { throw APIError(.gatewayUnavailable, "google play answered an impossible quantity") }
        let payment = SettlementFact.Payment(
            id: orderID, payer: .user(uid: uid), amount: ReportedMoney(cents: cents, currency: "USD"),
            rule: .reported)
        let result = try settlement.settle([.paid(payment)])
        guard result.verdict == .credited else {
            throw APIError(.internalError, "the purchase could not be credited")
        }
        try consume(purchase, productID: productID, purchaseToken: purchaseToken, logger: logger)
    }

    /// Consumes a credited purchase (which also acknowledges it) unless Google shows it consumed. A refusal (4xx:
    /// consumed meanwhile by a concurrent call, or no longer consumable) is checked by reading the purchase again;
    /// one still unacknowledged is acknowledged, so Google does not refund money that was credited.
    private func consume(
        _ purchase: GooglePlayProductPurchase, productID: String, purchaseToken: String, logger: Logger
    ) throws {
        guard !purchase.consumed else { return }
        do {
            try api.consume(productID: productID, purchaseToken: purchaseToken)
        } catch let refusal as GooglePlayAPI.Failure where refusal.status < 500 {
            let current = try api.productPurchase(productID: productID, purchaseToken: purchaseToken)
            guard !current.consumed, !current.acknowledged, current.state == .purchased else { return }
            logger.warning("google play refused to consume a credited purchase, acknowledging it")
            try api.acknowledge(productID: productID, purchaseToken: purchaseToken)
        }
    }
}

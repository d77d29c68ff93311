import Logging
import PaymentsCore

/// The Apple App Store: consumable in-app purchases credited from verified StoreKit 2 transactions, and refunds
/// from App Store Server Notifications V2 (DESIGN §1.4, issue 8).
public struct AppStoreGateway: PaymentGateway {
    /// The `gateway` value of App Store ledger rows and events.
    static let ledgerID = "appstore"
    /// The App Store's line in `GatewayRegistry`.
    public static let registration = GatewayRegistration(
        prefix: "appstore", ledgerID: ledgerID, enabledKey: "APPSTORE_ENABLED", make: AppStoreGateway.init)

    let configuration: AppStoreConfiguration
    let verifier: AppStoreSignedDataVerifier
    let api: AppStoreAPI
    let webhook: AppStoreWebhook
    /// Unix seconds now.
    let now: @Sendable () -> Int64

    public init(_ context: GatewayContext) throws {
        try self.init(configuration: AppStoreConfiguration(context.config), services: context.services)
    }

    /// The gateway under checked settings; the Server API goes through the `appstore` outbound service.
    public init(configuration: AppStoreConfiguration, services: GatewayServices) {
        self.configuration = configuration
        verifier = configuration.makeVerifier()
        let tokens = AppStoreTokenProvider(configuration: configuration, clock: { services.now })
        api = AppStoreAPI(configuration: configuration, service: services.outbound("appstore"), tokens: tokens)
        webhook = AppStoreWebhook(verifier: verifier)
        now = { services.now }
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

    /// `appstore-createTransaction {signedTransaction}` or `{transactionId}`: verify the transaction, check it is
    /// the caller's (`appAccountToken`), an unrevoked purchase of a product on sale, then credit it once under its
    /// `transactionId`. A refused purchase writes nothing, so its real owner can still redeem it; a replay by the
    /// owner answers `{"result":"success"}` and writes nothing.
    func createTransaction(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let body = try context.jsonBody()
        let transaction = try verifiedTransaction(body)
        context.logger.info(
            "appstore transaction verified",
            metadata: ["payment.id": "\(transaction.transactionID)", "product.id": "\(transaction.productID)"])
        guard AppStoreAccountToken.matches(transaction.appAccountToken, uid: user.uid) else {
            throw APIError(.notFound, "this purchase does not belong to the signed-in account")
        }
        guard let price = configuration.products.price(of: transaction.productID),
            transaction.rawType == nil || transaction.rawType == "Consumable"
        else { throw APIError.badField("productId", "is not a consumable product sold here") }
        let quantity = transaction.quantity ?? 1
        guard (1...Self.maxQuantity).contains(quantity) else {
            throw APIError.badField("quantity", "must be between 1 and \(Self.maxQuantity)")
        }
        let settlement = Settlement(context, gateway: Self.ledgerID)
        if transaction.isRevoked {
            // Refunded or revoked by Apple: credits nothing, though a purchase credited before stays answered.
            guard try settlement.isBooked(transaction.transactionID) else {
                throw APIError(.conflict, "the App Store refunded or revoked this purchase")
            }
            return .success
        }
        let payment = SettlementFact.Payment(
            id: transaction.transactionID, payer: .user(uid: user.uid),
            amount: ReportedMoney(cents: price.cents * quantity, currency: "USD"), rule: .reported)
        _ = try settlement.settle([.paid(payment)])
        return .success
    }

    /// StoreKit allows a consumable purchase of up to 10 units; anything above is not a purchase Apple made.
    static let maxQuantity: Int64 = 10

    /// The transaction the body names: a `signedTransaction` verified here, or a `transactionId` looked up with
    /// the App Store Server API and then verified the same way.
    ///
    /// A signed transaction older than `freshSeconds` is read again from the Server API, so that a purchase Apple
    /// refunded after signing it (its `REFUND` arriving before any credit, and so booking nothing) cannot be credited
    /// from the old copy. A Server API that does not know it (another environment's service) leaves the signed copy
    /// in force; its outages answer 502/503 and the client tries again.
    func verifiedTransaction(_ body: JSONValue) throws -> AppStoreTransaction {
        if let signed = try PaymentInput.optionalString(body, "signedTransaction") {
            guard !signed.isEmpty, signed.utf8.count <= Self.maxSignedLength else {
                throw APIError.badField("signedTransaction")
            }
            let transaction = try verifier.verifyTransaction(signed)
            guard let signedDate = transaction.signedDate, now() - signedDate / 1000 > Self.freshSeconds else {
                return transaction
            }
            do {
                return try lookUp(transaction.transactionID)
            } catch let failure as AppStoreAPI.Failure where failure.status == 404 {
                return transaction
            }
        }
        guard let id = try PaymentInput.optionalString(body, "transactionId") else {
            throw APIError.badField("signedTransaction", "or transactionId is required")
        }
        // Apple's ids are decimal digits; letters are let through, anything that could change the URL is not.
        guard (1...64).contains(id.utf8.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw APIError.badField("transactionId")
        }
        return try lookUp(id)
    }

    /// `transactionID` as the App Store Server API reports it now, verified like a client's signed transaction.
    func lookUp(_ transactionID: String) throws -> AppStoreTransaction {
        let signed = try api.signedTransactionInfo(transactionID: transactionID)
        let transaction: AppStoreTransaction
        do {
            transaction = try verifier.verifyTransaction(signed)
        } catch {
            throw APIError(
                .gatewayUnavailable, "the App Store answered a transaction that does not verify", cause: error)
        }
        guard transaction.transactionID == transactionID else {
            throw APIError(.gatewayUnavailable, "the App Store answered another transaction than the one asked for")
        }
        return transaction
    }

    /// Seconds a client's signed transaction is taken as current; StoreKit signs it when the purchase completes and
    /// the app redeems it at once.
    static let freshSeconds: Int64 = 600

    /// A StoreKit JWS is a few kilobytes (three certificates); anything far larger is not one.
    static let maxSignedLength = 65_536
}

import PaymentsCore

/// The Android Publisher calls this backend makes for one-time products, over the shared outbound service (timeouts,
/// circuit breaker), each with the service account's access token; a 401 renews the token once and repeats the call.
///
/// Every URL is `{GOOGLE_PLAY_API_BASE}/androidpublisher/v3/applications/{packageName}/purchases/products/
/// {productId}/tokens/{token}`, each segment percent-escaped. See
/// https://developers.google.com/android-publisher/api-ref/rest/v3/purchases.products
public struct GooglePlayAPI: Sendable {
    /// Google refusing a call with 4xx: `{error: {code, message, status}}` (or the token endpoint's `{error}`).
    public struct Failure: APIErrorConvertible, Sendable {
        public let status: Int
        /// Google's `error.status` (`NOT_FOUND`, `INVALID_ARGUMENT`, …), the token endpoint's `error`, or a summary.
        public let reason: String

        public init(status: Int, reason: String) {
            self.status = status
            self.reason = reason
        }

        /// A purchase token or product Google does not know for this app is the client's mistake (DESIGN §1 item 4);
        /// anything else Google refuses (our credentials, our access) is an upstream failure.
        public var apiError: APIError {
            if status == 400 || status == 404 || status == 410 {
                return APIError(.badRequest, "google play does not know this purchase (\(reason))")
            }
            return APIError(.gatewayUnavailable, "google play refused the request (\(reason))")
        }
    }

    let configuration: GooglePlayConfiguration
    let service: OutboundService
    let tokens: GooglePlayTokenProvider

    public init(configuration: GooglePlayConfiguration, service: OutboundService, tokens: GooglePlayTokenProvider) {
        self.configuration = configuration
        self.service = service
        self.tokens = tokens
    }

    /// `purchases.products.get`: the purchase as Google reports it now.
    /// - Throws: `Failure` for a 4xx, `APIError` 502/503 when Google is unreachable or answers nonsense.
    public func productPurchase(productID: String, purchaseToken: String) throws -> GooglePlayProductPurchase {
        let response = try send("GET", path(productID: productID, purchaseToken: purchaseToken))
        guard let json = response.json, let purchase = GooglePlayProductPurchase(json) else {
            throw APIError(.gatewayUnavailable, "google play answered an unexpected purchase object")
        }
        return purchase
    }

    /// `purchases.products.consume`: uses up a consumable so it can be bought again (consuming also acknowledges).
    /// - Throws: as `productPurchase`.
    public func consume(productID: String, purchaseToken: String) throws {
        _ = try send("POST", path(productID: productID, purchaseToken: purchaseToken) + ":consume")
    }

    /// `purchases.products.acknowledge`: without it (or a consume) Google refunds the purchase after three days.
    /// - Throws: as `productPurchase`.
    public func acknowledge(productID: String, purchaseToken: String) throws {
        _ = try send("POST", path(productID: productID, purchaseToken: purchaseToken) + ":acknowledge", body: "{}")
    }

    private func path(productID: String, purchaseToken: String) -> String {
        "/androidpublisher/v3/applications/\(FormEncoding.escape(configuration.packageName))/purchases/products/"
            + "\(FormEncoding.escape(productID))/tokens/\(FormEncoding.escape(purchaseToken))"
    }

    private func send(_ method: String, _ path: String, body: String? = nil) throws -> HTTPResponse {
        var token = try tokens.token()
        var response = try service.send(request(method, path, body: body, token: token))
        if response.status == 401 {
            token = try tokens.token(replacing: token)
            response = try service.send(request(method, path, body: body, token: token))
        }
        guard (200..<300).contains(response.status) else {
            let error = response.json?["error"]
            throw Failure(
                status: response.status,
                reason: error?["status"]?.stringValue ?? error?.stringValue ?? "HTTP \(response.status)")
        }
        return response
    }

    private func request(_ method: String, _ path: String, body: String?, token: String) -> HTTPRequest {
        var headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method, url: configuration.apiBase + path, headers: headers, body: Array((body ?? "").utf8))
    }
}

import PaymentsCore

/// The App Store Server API calls this backend makes, over the shared `appstore` outbound service (timeouts,
/// circuit breaker: 5xx and no answer become 502, an open circuit 503) with the shared bearer token.
public struct AppStoreAPI: Sendable {
    /// An App Store Server API 4xx answer: `{errorCode, errorMessage}`.
    /// See https://developer.apple.com/documentation/appstoreserverapi/error_codes
    public struct Failure: APIErrorConvertible, Sendable, CustomStringConvertible {
        public let status: Int
        /// `4040010` transaction id not found, `4000006` invalid transaction id, `4290000` rate limit, …
        public let errorCode: Int64?

        /// The transaction id is the client's input: Apple not knowing it (or not for this app) is a bad request
        /// (DESIGN §1.4). Apple refusing our own credentials is an upstream failure, and its rate limit asks for a
        /// retry.
        public var apiError: APIError {
            switch status {
            case 401, 403:
                return APIError(.gatewayUnavailable, "the App Store refused the API credentials", cause: self)
            case 429:
                return APIError(
                    .circuitOpen, "the App Store is rate limiting, retry later", headers: [("Retry-After", "60")],
                    cause: self)
            default:
                return APIError(.badRequest, "transactionId is unknown to the App Store", cause: self)
            }
        }

        public var description: String {
            "App Store Server API answered \(status) (\(errorCode.map(String.init) ?? "-"))"
        }
    }

    let apiBase: String
    let service: OutboundService
    let tokens: AppStoreTokenProvider

    public init(configuration: AppStoreConfiguration, service: OutboundService, tokens: AppStoreTokenProvider) {
        self.apiBase = configuration.apiBase
        self.service = service
        self.tokens = tokens
    }

    /// `GET /inApps/v1/transactions/{transactionId}` → the transaction's `signedTransactionInfo` JWS, still to be
    /// verified. See https://developer.apple.com/documentation/appstoreserverapi/get-transaction-info
    /// - Throws: `Failure` for a 4xx answer, `APIError` 502/503 for 5xx, no answer, an open circuit or a 200 without
    ///   `signedTransactionInfo`.
    public func signedTransactionInfo(transactionID: String) throws -> String {
        let request = HTTPRequest(
            method: "GET", url: apiBase + "/inApps/v1/transactions/" + FormEncoding.escape(transactionID),
            headers: [("Authorization", "Bearer \(try tokens.token())"), ("Accept", "application/json")])
        let response = try service.send(request)
        guard response.status == 200 else {
            throw Failure(status: response.status, errorCode: response.json?["errorCode"]?.int64Value)
        }
        guard let signed = response.json?["signedTransactionInfo"]?.stringValue, !signed.isEmpty else {
            throw APIError(.gatewayUnavailable, "the App Store answered without signedTransactionInfo")
        }
        return signed
    }
}

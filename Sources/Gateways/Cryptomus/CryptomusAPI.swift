import PaymentsCore

/// The Cryptomus merchant API calls this backend makes (research §1.1–1.3), over the shared outbound service.
///
/// Every body is serialised once, signed over those bytes and sent as those bytes.
public struct CryptomusAPI: Sendable {
    /// A Cryptomus 4xx answer: `{"state":1,"message":…}` or `{"state":1,"errors":{…}}` (422).
    public struct Failure: APIErrorConvertible, Sendable {
        public let status: Int
        public let message: String?
        /// The field names of a 422 validation answer.
        public let fields: [String]

        /// "Payment was not found" (answered for an unknown uuid or order_id).
        public var isNotFound: Bool { status == 404 || (message ?? "").lowercased().contains("not found") }

        /// Cryptomus refusing a call we made is an upstream failure to the client.
        public var apiError: APIError {
            APIError(
                .gatewayUnavailable,
                "cryptomus refused the request (\(status)\(fields.isEmpty ? "" : ": " + fields.joined(separator: ",")))"
            )
        }
    }

    let configuration: CryptomusConfiguration
    let service: OutboundService
    let signature: CryptomusSignature

    public init(configuration: CryptomusConfiguration, service: OutboundService) {
        self.configuration = configuration
        self.service = service
        signature = CryptomusSignature(paymentKey: configuration.paymentKey)
    }

    /// Creates (or, for an `order_id` already used, returns) the USD invoice of a session.
    public func createInvoice(session: PaymentSession, urlCallback: String, urlReturn: String, urlSuccess: String)
        throws -> CryptomusInvoice
    {
        let body = JSONValue.object([
            ("amount", .string(session.amount.decimalString)), ("currency", .string("USD")),
            ("order_id", .string(session.publicID)), ("url_return", .string(urlReturn)),
            ("url_success", .string(urlSuccess)), ("url_callback", .string(urlCallback)),
            ("lifetime", .int(configuration.invoiceLifetimeSeconds)),
        ])
        return try invoice(from: post("/v1/payment", body))
    }

    /// Re-reads an invoice by its uuid — the truth a webhook is checked against.
    public func paymentInfo(uuid: String) throws -> CryptomusInvoice {
        try invoice(from: post("/v1/payment/info", .object([("uuid", .string(uuid))])))
    }

    /// Re-reads an invoice by our `order_id` (a session whose creation answer was lost).
    public func paymentInfo(orderID: String) throws -> CryptomusInvoice {
        try invoice(from: post("/v1/payment/info", .object([("order_id", .string(orderID))])))
    }

    /// `POST /v1/payment/refund` (`payments-sync refund`): the whole invoice goes back to the payer's `address`;
    /// with `isSubtract` the commission is taken from the merchant's balance. Cryptomus answers an empty result and
    /// reports the refund's end as `refund_paid` / `refund_fail` (research §1.3).
    public func refund(uuid: String, address: String, isSubtract: Bool) throws {
        _ = try post(
            "/v1/payment/refund",
            .object([("uuid", .string(uuid)), ("address", .string(address)), ("is_subtract", .bool(isSubtract))]))
    }

    // MARK: - transport

    private func invoice(from json: JSONValue) throws -> CryptomusInvoice {
        guard let result = json["result"], let invoice = CryptomusInvoice(result) else {
            throw APIError(.gatewayUnavailable, "cryptomus answered an unexpected invoice object")
        }
        return invoice
    }

    private func post(_ path: String, _ body: JSONValue) throws -> JSONValue {
        let bytes = Array(body.serialized().utf8)
        let request = HTTPRequest(
            method: "POST", url: configuration.apiBase + path,
            headers: [
                ("merchant", configuration.merchantID), ("sign", signature.sign(bytes)),
                ("Content-Type", "application/json"),
            ],
            body: bytes)
        let response = try service.send(request)
        guard (200..<300).contains(response.status), let json = response.json, json["state"]?.int64Value == 0 else {
            let json = response.json
            let fields =
                json?["errors"].flatMap { value -> [String]? in
                    guard case let .object(members) = value else { return nil }
                    return members.map(\.0)
                } ?? []
            guard (200..<500).contains(response.status), json != nil else {
                throw APIError(.gatewayUnavailable, "cryptomus answered \(response.status) without a JSON body")
            }
            throw Failure(status: response.status, message: json?["message"]?.stringValue, fields: fields)
        }
        return json
    }
}

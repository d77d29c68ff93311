import PaymentsCore

/// `app-getBalance`'s read of a customer's Retail balance (DESIGN §2).
extension RetailClient {
    /// Reads `GET {base}/a/customer/{uid}/balance` through the Retail circuit breaker.
    /// - Parameters:
    ///   - uid: the caller's Firebase uid, which is the Retail `customer_id` (percent-encoded as a path segment).
    ///   - service: the `retail` outbound service (breaker and timeout).
    /// - Returns: `total` and `reserved` in cents; `(0, 0)` when Retail does not know the customer (404).
    /// - Throws: `APIError` 502 `GatewayUnavailableException` for 5xx, timeouts, refusals, 401/403 and any other
    ///   unexpected or unreadable answer; 503 when the circuit is open.
    public func balance(uid: String, via service: OutboundService) throws(APIError) -> (total: Int64, reserved: Int64) {
        let request = makeRequest("GET", "\(baseURL)/a/customer/\(RetailClient.pathSegment(uid))/balance", body: nil)
        let response = try service.send(request)
        if response.status == 404 { return (0, 0) }
        guard (200..<300).contains(response.status) else {
            throw APIError(.gatewayUnavailable, "Retail API answered \(response.status)")
        }
        guard let json = response.json, let total = RetailClient.cents(json["total"]),
            let reserved = RetailClient.cents(json["reserved"])
        else { throw APIError(.gatewayUnavailable, "Retail API answered an unreadable balance") }
        return (total, reserved)
    }

    /// An integer number of cents, written as a JSON integer or a string of digits.
    static func cents(_ value: JSONValue?) -> Int64? {
        guard let value else { return nil }
        if let number = value.int64Value { return number }
        if let text = value.stringValue { return Int64(text) }
        return nil
    }
}

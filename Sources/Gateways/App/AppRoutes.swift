import PaymentsCore

/// The `app-*` routes the web and mobile clients call besides payments: balance, history, public keys, and the live
/// status tickets (`EventsRoutes`).
public struct AppRoutes: PaymentGateway {
    let services: GatewayServices
    let publicKeyPairs: [(String, String)]
    /// Made at start-up, so the metrics page lists the Retail circuit before the first balance read.
    let retail: OutboundService
    let events: EventsRoutes

    public init(_ context: GatewayContext) throws {
        services = context.services
        publicKeyPairs = context.publicKeys
        retail = context.services.outbound("retail")
        events = try EventsRoutes(context)
    }

    public var routes: [Route] {
        [
            Route(.get, "getBalance", access: .client, handler: balance),
            Route(.get, "getTransactions", access: .client, handler: transactions),
            Route(.get, "getPublicKeys", access: .open, handler: publicKeys),
        ] + events.routes
    }

    /// `{total, reserved}` from the Retail API's `GET {RETAIL_API_URL}/a/customer/{uid}/balance` (the backend's one
    /// balance read); a customer Retail does not know yet (404) has a zero balance.
    ///
    /// Any other answer, a timeout or a refusal is 502 `GatewayUnavailableException`; 503 while the circuit is open.
    func balance(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let core = services.core
        let url = "\(core.retailAPIURL)/a/customer/\(FormEncoding.escape(user.uid))/balance"
        let response = try retail.send(
            HTTPRequest(
                method: "GET", url: url,
                headers: [("X-Api-Key", core.retailAPIKey.value), ("Accept", "application/json")]))
        if response.status == 404 { return .json(.object([("total", .int(0)), ("reserved", .int(0))])) }
        guard (200..<300).contains(response.status), let json = response.json,
            let total = json["total"]?.int64Value, let reserved = json["reserved"]?.int64Value
        else { throw APIError(.gatewayUnavailable, "retail balance unavailable (status \(response.status))") }
        return .json(.object([("total", .int(total)), ("reserved", .int(reserved))]))
    }

    /// All of the caller's ledger rows, synced or not, newest first, paged (DESIGN §2).
    func transactions(_ context: RequestContext) throws -> APIResponse {
        let user = try context.requireUser()
        let page = try AppRoutes.queryInt(context.request.query, "page", default: 1, range: 1...1_000_000)
        let limit = try AppRoutes.queryInt(context.request.query, "limit", default: 10, range: 1...100)
        let (rows, total) = try context.ledger.transactions(uid: user.uid, offset: (page - 1) * limit, limit: limit)
        let items: [JSONValue] = rows.map { row in
            .object([
                ("customer_id", .string(row.uid)), ("transaction_id", .string(row.paymentID)),
                ("gateway", .string(row.gateway)),
                ("amount", .int(row.amount.cents)), ("created_at", .int(row.createdAt)),
            ])
        }
        let pages = (total + limit - 1) / limit
        return .json(
            .object([
                ("transactions", .array(items)), ("page", .int(page)), ("limit", .int(limit)), ("pages", .int(pages)),
                ("total", .int(total)),
            ]))
    }

    /// The enabled gateways' publishable keys; disabled gateways are omitted.
    func publicKeys(_ context: RequestContext) throws -> APIResponse {
        .json(.object(publicKeyPairs.map { ($0.0, .string($0.1)) }))
    }

    static func queryInt(_ query: [String: String], _ name: String, default fallback: Int, range: ClosedRange<Int>)
        throws(APIError) -> Int
    {
        guard let text = query[name] else { return fallback }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), text.count <= 9, let value = Int(text),
            range.contains(value)
        else {
            throw APIError.badField(name, "must be an integer within \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

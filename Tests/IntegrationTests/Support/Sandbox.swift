import Foundation
import PaymentsCore

/// A sandbox answer that was not 2xx: the test set-up itself failed.
struct SandboxError: Error, CustomStringConvertible {
    let description: String
}

/// The sandbox's control API (Firebase minting, Stripe operator actions, Retail switches) and its Stripe API.
struct Sandbox: Sendable {
    let env: TestEnvironment

    // MARK: - plumbing

    private func control(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let url = env.sandboxURL + path
        let result: HTTPResult
        if let body {
            result = try HTTP.postJSON(url, body)
        } else {
            result = try HTTP.send(method, url)
        }
        guard (200..<300).contains(result.status) else {
            throw SandboxError(description: "sandbox \(method) \(path) answered \(result)")
        }
        return result.json ?? .null
    }

    private func post(_ path: String, _ body: JSONValue) throws -> JSONValue { try control("POST", path, body) }

    /// POSTs without requiring success (for checks of the sandbox's own refusals).
    func postRaw(_ path: String, _ body: JSONValue) throws -> HTTPResult {
        try HTTP.postJSON(env.sandboxURL + path, body)
    }

    // MARK: - Firebase

    /// A signed Firebase ID token for `uid`; `claims` and `header` override the defaults (negative tests).
    func mintToken(
        uid: String, emailVerified: Bool = true, provider: String = "google.com",
        claims: [(String, JSONValue)] = [], header: [(String, JSONValue)] = [], signature: String? = nil
    )
        throws -> String
    {
        var body: [(String, JSONValue)] = [
            ("uid", .string(uid)), ("email_verified", .bool(emailVerified)), ("sign_in_provider", .string(provider)),
            ("email", .string("\(uid)@example.test")),
        ]
        if !claims.isEmpty { body.append(("claims", .object(claims))) }
        if !header.isEmpty { body.append(("header", .object(header))) }
        if let signature { body.append(("signature", .string(signature))) }
        let answer = try post("/firebase/mint", .object(body))
        guard let token = answer["idToken"]?.stringValue else {
            throw SandboxError(description: "mint answered no idToken")
        }
        return token
    }

    // MARK: - Stripe operator actions

    /// Authorises the PaymentIntent (→ `requires_capture`); delivers `amount_capturable_updated` unless `deliver` is false.
    /// `status` `succeeded` captures it at once (as a capture whose answer or ledger commit was lost leaves it).
    func pay(_ intentID: String, review: Bool = false, deliver: Bool = true, status: String? = nil) throws {
        var body: [(String, JSONValue)] = [
            ("id", .string(intentID)), ("review", .bool(review)), ("deliver", .bool(deliver)),
        ]
        if let status { body.append(("status", .string(status))) }
        _ = try post("/control/stripe/pay", .object(body))
    }

    func expire(_ intentID: String) throws {
        _ = try post("/control/stripe/expire", .object([("id", .string(intentID))]))
    }

    func closeReview(_ intentID: String, reason: String, deliver: Bool = true) throws {
        _ = try post(
            "/control/stripe/close-review",
            .object([("id", .string(intentID)), ("reason", .string(reason)), ("deliver", .bool(deliver))]))
    }

    /// Refunds part of a captured intent; returns the refund object (with its `re_` id). With `deliver: false` its
    /// events are only stored (for a later `redeliver`).
    func refund(_ intentID: String, amount: Int64, status: String = "succeeded", deliver: Bool = true) throws
        -> JSONValue
    {
        try post(
            "/control/stripe/refund",
            .object([
                ("id", .string(intentID)), ("amount", .int(amount)), ("status", .string(status)),
                ("deliver", .bool(deliver)),
            ]))
    }

    /// Makes the sandbox's Stripe API hold `refund` exactly as given (no checks, no event); returns it.
    @discardableResult
    func putRefund(_ refund: [(String, JSONValue)]) throws -> JSONValue {
        try post("/control/stripe/put-refund", .object(refund))
    }

    /// Delivers a stored event again, signed now (Stripe retrying an old event).
    func redeliver(eventID: String) throws {
        _ = try post("/control/stripe/redeliver", .object([("event_id", .string(eventID))]))
    }

    func refundUpdate(_ refundID: String, status: String) throws {
        _ = try post(
            "/control/stripe/refund-update", .object([("id", .string(refundID)), ("status", .string(status))]))
    }

    /// Opens a dispute and withdraws its funds; returns the dispute object (with its `du_` id).
    func dispute(_ intentID: String, amount: Int64, deliver: Bool = true) throws -> JSONValue {
        try post(
            "/control/stripe/dispute",
            .object([("id", .string(intentID)), ("amount", .int(amount)), ("deliver", .bool(deliver))]))
    }

    func reinstate(_ disputeID: String, deliver: Bool = true) throws {
        _ = try post("/control/stripe/reinstate", .object([("id", .string(disputeID)), ("deliver", .bool(deliver))]))
    }

    /// The PaymentIntent as the sandbox holds it, with `capture_count`.
    func intent(_ intentID: String) throws -> JSONValue {
        try control("GET", "/control/stripe/intents/\(intentID)")
    }

    /// Every PaymentIntent the sandbox holds, oldest first.
    func intents() throws -> [JSONValue] {
        try control("GET", "/control/stripe/intents")["data"]?.arrayValue ?? []
    }

    func captureCount(_ intentID: String) throws -> Int64 {
        let intent = try intent(intentID)
        return intent["capture_count"]?.int64Value ?? intent.at("payment_intent.capture_count")?.int64Value ?? -1
    }

    /// Every emitted event (delivery facts plus the `event` itself), optionally only those of one PaymentIntent.
    func events(intentID: String? = nil) throws -> [JSONValue] {
        let answer = try control("GET", "/control/stripe/events")
        let list = answer.arrayValue ?? answer["events"]?.arrayValue ?? answer["data"]?.arrayValue ?? []
        guard let intentID else { return list }
        return list.filter { Sandbox.intentID(ofEventRecord: $0) == intentID }
    }

    /// The PaymentIntent an event record belongs to.
    static func intentID(ofEventRecord record: JSONValue) -> String? {
        if let id = record["payment_intent"]?.stringValue { return id }
        let object = record.at("event.data.object") ?? record.at("data.object")
        if object?["object"]?.stringValue == "payment_intent" { return object?["id"]?.stringValue }
        return object?["payment_intent"]?.stringValue
    }

    /// The Stripe event envelope inside a record (the record may be the event itself).
    static func event(ofRecord record: JSONValue) -> JSONValue { record["event"] ?? record }

    /// Makes Stripe endpoint calls fail (`capture`, `create`, `retrieve`) `times` times with `status` (0: the
    /// connection is closed unanswered), only for PaymentIntent `intentID` when given; with `after`, each call is
    /// performed (and stored under its idempotency key) before its answer is lost.
    func failStripe(endpoint: String, times: Int, status: Int = 500, after: Bool = false, intentID: String? = nil)
        throws
    {
        var body: [(String, JSONValue)] = [
            ("endpoint", .string(endpoint)), ("times", .int(Int64(times))), ("status", .int(Int64(status))),
            ("mode", .string(after ? "after" : "before")),
        ]
        if let intentID { body.append(("id", .string(intentID))) }
        _ = try post("/control/stripe/fail", .object(body))
    }

    /// Makes the next `times` calls of a Stripe endpoint for `intentID` wait `milliseconds` before they are performed.
    func stripeLatency(endpoint: String, milliseconds: Int, intentID: String, times: Int = 1) throws {
        _ = try post(
            "/control/stripe/latency",
            .object([
                ("endpoint", .string(endpoint)), ("ms", .int(Int64(milliseconds))), ("times", .int(Int64(times))),
                ("id", .string(intentID)),
            ]))
    }

    /// Holds the PaymentIntent's events back (recorded, not delivered) until `release`.
    func hold(_ intentID: String) throws {
        _ = try post("/control/stripe/hold", .object([("id", .string(intentID))]))
    }

    /// Delivers the held events of the PaymentIntent in `order` (`reverse`, `shuffle`, `in-order`), each on its own;
    /// answers (type, first HTTP status) per event in delivery order.
    func release(_ intentID: String, order: String = "reverse") throws -> [(type: String, firstStatus: Int64?)] {
        let answer = try post(
            "/control/stripe/release", .object([("id", .string(intentID)), ("order", .string(order))]))
        return (answer["released"]?.arrayValue ?? []).map {
            ($0["type"]?.stringValue ?? "", $0["first_http_status"]?.int64Value)
        }
    }

    /// GET on the sandbox's Stripe API with the secret key (what the backend sees).
    func stripeAPI(_ path: String) throws -> JSONValue {
        let result = try HTTP.send(
            "GET", env.stripeAPIBase + path, headers: [("Authorization", "Bearer \(env.stripeSecretKey)")])
        guard result.status == 200, let json = result.json else {
            throw SandboxError(description: "sandbox Stripe GET \(path) answered \(result)")
        }
        return json
    }

    /// Forgets every object, event, customer and transaction of every emulated service and turns every switch off.
    func resetAll() throws {
        for service in ["stripe", "paypal", "cryptomus", "retail"] {
            _ = try post("/control/\(service)/reset", .object([]))
        }
        try firebaseCerts(down: false)
        try recaptcha(down: false)
    }

    // MARK: - reCAPTCHA

    func firebaseCerts(down: Bool) throws {
        _ = try post("/control/firebase", .object([("down", .bool(down))]))
    }

    func recaptcha(down: Bool) throws {
        _ = try post("/control/recaptcha", .object([("down", .bool(down))]))
    }

    // MARK: - Retail

    func retailMode(_ mode: String, latencyMilliseconds: Int? = nil) throws {
        var body: [(String, JSONValue)] = [("mode", .string(mode))]
        if let latencyMilliseconds { body.append(("latency_ms", .int(latencyMilliseconds))) }
        _ = try post("/control/retail", .object(body))
    }

    /// Every POST Retail received so far (customers and transactions, refused ones included).
    func retailAttempts() throws -> Int64 {
        try control("GET", "/control/retail")["attempts"]?.int64Value ?? -1
    }

    /// Retail's accepted transactions (optionally of one customer), keyed by `transaction_id`.
    func retailTransactions(customerID: String? = nil) throws -> [String: RetailTransaction] {
        let path = "/control/retail/transactions" + (customerID.map { "?customer_id=\(FormEncoding.escape($0))" } ?? "")
        let answer = try control("GET", path)
        var result: [String: RetailTransaction] = [:]
        for item in answer["transactions"]?.arrayValue ?? [] {
            guard let id = item["transaction_id"]?.stringValue else { continue }
            let transaction = RetailTransaction(
                customerID: item["customer_id"]?.stringValue ?? "", transactionID: id,
                amount: item["amount"]?.int64Value ?? 0,
                appliedCount: item["applied_count"]?.int64Value ?? 0, receivedCount: item["received_count"]?.int64Value)
            if customerID == nil || transaction.customerID == customerID { result[id] = transaction }
        }
        return result
    }

    /// Makes Retail refuse one `transaction_id` with `status` (400...599, `ValidationException`); 0 clears it.
    func retailReject(_ transactionID: String, status: Int) throws {
        _ = try post(
            "/control/retail/reject", .object([("transaction_id", .string(transactionID)), ("status", .int(status))]))
    }

    /// How many transaction calls carrying `transactionID` Retail refused with the switch above (counted on arrival).
    func retailRejections(_ transactionID: String) throws -> Int64 {
        let answer = try control("GET", "/control/retail/reject")
        let item = answer["rejections"]?.arrayValue?.first { $0["transaction_id"]?.stringValue == transactionID }
        return item?["hits"]?.int64Value ?? 0
    }

    /// The `transaction_id`s Retail applied for one customer, in the order it applied them.
    func retailOrder(customerID: String) throws -> [String] {
        let answer = try control(
            "GET", "/control/retail/transactions?customer_id=\(FormEncoding.escape(customerID))")
        return (answer["transactions"]?.arrayValue ?? []).compactMap { $0["transaction_id"]?.stringValue }
    }

    /// Retail's balance of one customer (sum of its applied transactions), nil when unknown to Retail.
    func retailBalance(customerID: String) throws -> Int64? {
        let answer = try control("GET", "/control/retail/transactions?customer_id=\(FormEncoding.escape(customerID))")
        for customer in answer["customers"]?.arrayValue ?? [] where customer["customer_id"]?.stringValue == customerID {
            return customer["total"]?.int64Value
        }
        return nil
    }
}

/// One transaction the emulated Retail API accepted.
struct RetailTransaction: Sendable, Equatable {
    let customerID: String
    let transactionID: String
    let amount: Int64
    /// Times it changed a balance: must stay 1.
    let appliedCount: Int64
    /// Times a POST carried it, duplicates included (nil when the sandbox does not report it).
    let receivedCount: Int64?
}

import PaymentsCore

/// One payment the emulated Anypay merchant page accepted.
struct AnypaySandboxPayment: Sendable {
    let payID: String
    /// Anypay's own id for the payment, numeric.
    let transactionID: String
    /// `amount`, `currency` and `desc` exactly as posted.
    let amount: String
    let currency: String
    let description: String
    let successURL: String
    let failURL: String
    /// `waiting` until a `pay` control call sets the notified status.
    var status = "waiting"

    var json: JSONValue {
        .object([
            ("pay_id", .string(payID)), ("transaction_id", .string(transactionID)), ("amount", .string(amount)),
            ("currency", .string(currency)), ("desc", .string(description)), ("success_url", .string(successURL)),
            ("fail_url", .string(failURL)), ("status", .string(status)),
        ])
    }
}

/// The emulated Anypay merchant's state, guarded by the emulator's lock.
struct AnypayStore: Sendable {
    var payments: [String: AnypaySandboxPayment] = [:]
    var notifications: [FormNotification] = []
    var nextTransactionID = Int64.random(in: 10_000_000...90_000_000)

    mutating func newTransactionID() -> String {
        defer { nextTransactionID += 1 }
        return String(nextTransactionID)
    }
}

import PaymentsCore

/// An Anypay payment notification (research §3.3), as POSTed form fields or GET query fields, values exactly as
/// received (the signature covers the text, so `amount` is never reformatted before the check).
public struct AnypayNotification: Sendable, Equatable {
    /// Why a delivery is not a notification at all.
    public enum Failure: Error, Equatable, Sendable {
        /// A required field is absent or empty.
        case missingField(String)
        /// A field is sent twice: which copy was signed would be ambiguous.
        case duplicateField(String)
        /// `transaction_id` or `pay_id` is not 1–20 digits.
        case malformedID(String)
    }

    /// The fields every notification carries; `sign` may be absent here (the signature check refuses it).
    static let requiredFields = ["merchant_id", "transaction_id", "pay_id", "amount", "currency", "status"]
    /// Fields read here and refused when repeated.
    private static let knownFields = requiredFields + ["sign", "test", "profit", "method", "email"]

    public var merchantID: String { values["merchant_id"] ?? "" }
    /// Anypay's transaction id: `anypay-<id>` is the ledger's `payment_id` (DESIGN §5).
    public var transactionID: String { values["transaction_id"] ?? "" }
    /// Our `pay_id`, the session reference.
    public var payID: String { values["pay_id"] ?? "" }
    /// The amount as sent (`"10.00"`).
    public var amountText: String { values["amount"] ?? "" }
    /// The amount in cents when it is plain decimal text with at most two decimals; never through floating point.
    public var amount: Money? { Money.exactCents(fromDecimal: amountText) }
    public var currency: String { values["currency"] ?? "" }
    /// `paid`, `partially-paid`, `waiting`, `refund`, `canceled`, `expired`, `error`.
    public var status: String { values["status"] ?? "" }
    /// The payment method (`card`, `sbp`, …), when sent.
    public var method: String? { values["method"] }
    /// `sign` as received.
    public var sign: String? { values["sign"] }
    /// A test notification (`test=1`): it never credits.
    public var isTest: Bool { values["test"] == "1" }
    /// Whether Anypay reports the payment paid in full.
    public var isPaid: Bool { status == "paid" }

    /// The `webhook_events` id: `<transaction_id>:<status>` (DESIGN §5).
    public var eventID: String { transactionID + ":" + status }
    /// The ledger `payment_id` of this transaction.
    public var paymentID: String { "anypay-" + transactionID }

    private let values: [String: String]

    /// Reads the fields of one delivery (form body or query, decoded pairs in order); other fields (echoed extra
    /// parameters) are ignored.
    /// - Throws: `Failure` for a missing or repeated field or a malformed id.
    public init(fields: [(String, String)]) throws(Failure) {
        var values: [String: String] = [:]
        for (name, value) in fields where AnypayNotification.knownFields.contains(name) {
            guard values[name] == nil else { throw .duplicateField(name) }
            values[name] = value
        }
        for name in AnypayNotification.requiredFields where (values[name] ?? "").isEmpty {
            throw .missingField(name)
        }
        for name in ["transaction_id", "pay_id"] {
            let id = values[name] ?? ""
            guard id.count <= 20, id.allSatisfy(\.isASCIIDigit) else { throw .malformedID(name) }
        }
        self.values = values
    }

    /// The answer body Anypay expects for an accepted notification.
    public static let acceptedAnswer = "OK"
}

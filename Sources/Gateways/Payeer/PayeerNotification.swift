import PaymentsCore

/// A Payeer status notification (research §2.2), as POSTed form fields or GET query fields, values exactly as
/// received (`m_desc` stays base64; nothing is decoded before the signature check).
public struct PayeerNotification: Sendable, Equatable {
    /// Why a delivery is not a notification at all.
    public enum Failure: Error, Equatable, Sendable {
        /// A required field is absent or empty.
        case missingField(String)
        /// A field is sent twice: which copy was signed would be ambiguous.
        case duplicateField(String)
        /// `m_operation_id` is not 1–20 digits.
        case malformedOperationID
    }

    /// The fields `m_sign` covers, in signing order; `m_params` follows when present.
    public static let signedFields = [
        "m_operation_id", "m_operation_ps", "m_operation_date", "m_operation_pay_date", "m_shop", "m_orderid",
        "m_amount", "m_curr", "m_desc", "m_status",
    ]

    /// The fields that must hold a value; the others (payment system, dates, description) are signed as received,
    /// empty included, since an unpaid operation may carry no pay date.
    public static let requiredFields = ["m_operation_id", "m_shop", "m_orderid", "m_amount", "m_curr", "m_status"]

    /// Payeer's operation id: the event id, and `payeer-<id>` is the ledger's `payment_id` (DESIGN §5).
    public var operationID: String { values["m_operation_id"] ?? "" }
    /// Our `m_orderid`, the session reference.
    public var orderID: String { values["m_orderid"] ?? "" }
    public var shop: String { values["m_shop"] ?? "" }
    /// The amount as sent (`"10.00"`).
    public var amountText: String { values["m_amount"] ?? "" }
    /// The amount in cents when it is plain decimal text with at most two decimals; never through floating point.
    public var amount: Money? { Money.exactCents(fromDecimal: amountText) }
    /// `m_curr`; `RUR` is Payeer's old spelling of `RUB`.
    public var currency: String { values["m_curr"] ?? "" }
    /// `success` means paid; every other value is not paid.
    public var status: String { values["m_status"] ?? "" }
    /// The encrypted additional parameters echoed back, when the form carried them.
    public var params: String? { values["m_params"] }
    /// `m_sign` as received.
    public let sign: String?

    /// Whether Payeer reports the operation paid.
    public var isSuccess: Bool { status == "success" }

    /// The ledger `payment_id` of this operation.
    public var paymentID: String { "payeer-" + operationID }

    /// The values `m_sign` covers, in signing order.
    var signedValues: [String] {
        PayeerNotification.signedFields.map { values[$0] ?? "" } + (params.map { [$0] } ?? [])
    }

    private let values: [String: String]

    /// Reads the fields of one delivery (form body or query, decoded pairs in order).
    /// - Throws: `Failure` for a missing or repeated field or a malformed operation id; `m_sign` may be absent
    ///   here (the signature check refuses it).
    public init(fields: [(String, String)]) throws(Failure) {
        var values: [String: String] = [:]
        var sign: String?
        for (name, value) in fields where PayeerNotification.isKnown(name) {
            if name == "m_sign" {
                guard sign == nil else { throw .duplicateField(name) }
                sign = value
                continue
            }
            guard values[name] == nil else { throw .duplicateField(name) }
            values[name] = value
        }
        for name in PayeerNotification.requiredFields where (values[name] ?? "").isEmpty {
            throw .missingField(name)
        }
        let operationID = values["m_operation_id"] ?? ""
        guard operationID.count <= 20, operationID.allSatisfy(\.isASCIIDigit) else { throw .malformedOperationID }
        self.values = values
        self.sign = sign
    }

    /// The order id of a delivery that could not be read, for the `<m_orderid>|error` answer.
    public static func orderID(in fields: [(String, String)]) -> String {
        fields.first { $0.0 == "m_orderid" }?.1 ?? ""
    }

    /// The answer body Payeer expects: `<m_orderid>|success` on acceptance, `<m_orderid>|error` otherwise.
    public static func answer(orderID: String, accepted: Bool) -> String {
        orderID + (accepted ? "|success" : "|error")
    }

    private static func isKnown(_ name: String) -> Bool {
        name == "m_sign" || name == "m_params" || signedFields.contains(name)
    }
}

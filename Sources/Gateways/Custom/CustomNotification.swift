import PaymentsCore

/// A verified notification of an operator-configured gateway, its fields found with the configured JSON pointers
/// (DESIGN §2). Which fields are required depends on the status class: every event needs an event id and a status;
/// `paid` also a session reference, payment id, amount and currency; `failed` a session reference; `refund` a session
/// reference, refund id and refund amount. Fields another class does not need are read when well-formed, else nil.
public struct CustomNotification: Sendable, Equatable {
    /// Why a verified body cannot be used; the text names the field's variable, never a value.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let problem: String
        public var description: String { problem }
    }

    /// The longest id text taken from a body: `<gateway>-<id>` must fit the 255-character `payment_id`.
    public static let maximumIDLength = 200

    /// The `webhook_events` key.
    public let eventID: String
    public let status: String
    public let statusClass: CustomStatusTable.Class
    /// The session's `public_id` as the gateway echoes it.
    public let sessionRef: String?
    public let paymentID: String?
    public let amount: Money?
    /// Upper-cased.
    public let currency: String?
    public let refundID: String?
    public let refundAmount: Money?

    /// Reads a body whose signature has been verified.
    ///
    /// - Parameters:
    ///   - body: the raw body, a JSON object.
    ///   - webhookID: the verified `webhook-id` header (Standard Webhooks), used when the event id comes from it.
    ///   - configuration: the gateway's pointers, amount format and status lists.
    /// - Throws: `Failure` when the body is not a JSON object or a field the status class needs is missing or malformed.
    public init(body: [UInt8], webhookID: String?, configuration: CustomGatewayConfiguration) throws(Failure) {
        guard let document = try? JSONValue.parse(body), case .object = document else {
            throw Failure(problem: "the body is not a JSON object")
        }
        let field = { (pointer: JSONPointer, suffix: String) in
            FieldReader(
                document: document, pointer: pointer,
                variable: CustomGatewayConfiguration.variable(configuration.id, suffix))
        }
        switch configuration.eventID {
        case .webhookIDHeader:
            guard let webhookID, CustomNotification.isUsableID(webhookID) else {
                throw Failure(problem: "the webhook-id header is missing or not a usable id")
            }
            eventID = webhookID
        case let .pointer(pointer):
            eventID = try field(pointer, "EVENT_ID").id(required: true) ?? ""
        }
        status = try field(configuration.status, "STATUS").text(required: true) ?? ""
        statusClass = configuration.statuses.classify(status)
        let format = configuration.amountFormat
        sessionRef = try field(configuration.sessionRef, "SESSION_REF").id(required: statusClass != .other)
        paymentID = try field(configuration.paymentID, "PAYMENT_ID").id(required: statusClass == .paid)
        amount = try field(configuration.amount, "AMOUNT").money(format, required: statusClass == .paid)
        currency = try field(configuration.currency, "CURRENCY").text(required: statusClass == .paid)?.uppercased()
        refundID = try field(configuration.refundID, "REFUND_ID").id(required: statusClass == .refund)
        refundAmount = try field(configuration.refundAmount, "REFUND_AMOUNT").money(
            format, required: statusClass == .refund)
    }

    /// Non-empty, at most `maximumIDLength` characters, no control characters.
    static func isUsableID(_ text: String) -> Bool {
        !text.isEmpty && text.count <= maximumIDLength
            && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    /// One pointer into the document, read as the kind a field needs.
    private struct FieldReader {
        let document: JSONValue
        let pointer: JSONPointer
        let variable: String

        /// A string or integer id; nil when absent or malformed and not required.
        func id(required: Bool) throws(Failure) -> String? {
            let value = pointer.resolve(in: document)
            let text = value?.stringValue ?? value?.int64Value.map(String.init)
            if let text, CustomNotification.isUsableID(text) { return text }
            return try missing(value, required: required, expected: "a string or integer id")
        }

        /// A non-empty string.
        func text(required: Bool) throws(Failure) -> String? {
            let value = pointer.resolve(in: document)
            if let text = value?.stringValue, CustomNotification.isUsableID(text) { return text }
            return try missing(value, required: required, expected: "a non-empty string")
        }

        /// An amount in the gateway's format.
        func money(_ format: CustomAmountFormat, required: Bool) throws(Failure) -> Money? {
            let value = pointer.resolve(in: document)
            if let amount = value.flatMap(format.money(from:)) { return amount }
            let expected = format == .cents ? "an integer of cents" : "a decimal amount with at most two decimals"
            return try missing(value, required: required, expected: expected)
        }

        private func missing<T>(_ value: JSONValue?, required: Bool, expected: String) throws(Failure) -> T? {
            guard required else { return nil }
            if value == nil { throw Failure(problem: "the field \(pointer) (\(variable)) is missing") }
            throw Failure(problem: "the field \(pointer) (\(variable)) is not \(expected)")
        }
    }
}

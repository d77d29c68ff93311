/// One message on a session's event channel: `{session_id, status, amount, payment_id?, at}` (issue 12).
public struct SessionEventMessage: Sendable, Equatable {
    /// The session's `public_id`: also the nchan channel id.
    public var sessionID: String
    public var status: SessionStatus
    /// Cents: the row's signed amount for a ledger row, else the session's amount.
    public var amount: Money
    /// The ledger row's `payment_id` (Retail `transaction_id`), for rows only.
    public var paymentID: String?
    /// Unix seconds.
    public var at: Int64

    public init(sessionID: String, status: SessionStatus, amount: Money, paymentID: String? = nil, at: Int64) {
        self.sessionID = sessionID
        self.status = status
        self.amount = amount
        self.paymentID = paymentID
        self.at = at
    }

    /// `change` as seen by subscribers, with the session's `public_id`, and its current status and amount where the
    /// change has none of its own.
    public init(_ change: SessionChange, session: PaymentSession) {
        self.init(
            sessionID: session.publicID, status: change.status ?? session.status,
            amount: change.amount ?? session.amount, paymentID: change.paymentID, at: change.at)
    }

    /// The JSON body posted to the publisher.
    public var body: [UInt8] {
        var members: [(String, JSONValue)] = [
            ("session_id", .string(sessionID)), ("status", .string(status.rawValue)), ("amount", .int(amount.cents)),
        ]
        if let paymentID { members.append(("payment_id", .string(paymentID))) }
        members.append(("at", .int(at)))
        return JSONValue.object(members).serializedBytes()
    }
}

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

    /// The JSON body posted to the publisher, written straight into bytes (one per credit, on the events thread):
    /// the same bytes as `JSONValue.object` of these members, serialized.
    public var body: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.append(contentsOf: #"{"session_id":"#.utf8)
        JSONValue.writeString(sessionID, into: &out)
        out.append(contentsOf: #","status":"#.utf8)
        JSONValue.writeString(status.rawValue, into: &out)
        out.append(contentsOf: #","amount":"#.utf8)
        out.append(contentsOf: String(amount.cents).utf8)
        if let paymentID {
            out.append(contentsOf: #","payment_id":"#.utf8)
            JSONValue.writeString(paymentID, into: &out)
        }
        out.append(contentsOf: #","at":"#.utf8)
        out.append(contentsOf: String(at).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// What an operator command got from the gateway and what the settlement engine booked for it.
public struct OperatorCommandOutcome: Sendable {
    /// The gateway's id of what the command made or changed (a refund id, the PaymentIntent id).
    public var reference: String
    /// The gateway's status of it (`succeeded`, `COMPLETED`, `refund_process`, `canceled`, …).
    public var gatewayStatus: String
    /// What was booked for the gateway's answer; `.open` when the gateway has not finished yet (a pending refund is
    /// booked later by its webhook or reconciliation, through the same unique key).
    public var settlement: SettlementResult

    public init(reference: String, gatewayStatus: String, settlement: SettlementResult) {
        self.reference = reference
        self.gatewayStatus = gatewayStatus
        self.settlement = settlement
    }

    /// One line for the operator: what the gateway did and what the ledger wrote.
    public var summary: String {
        let inserted = settlement.ledger.insertedRows.map(\.paymentID)
        let present = settlement.ledger.alreadyPresent
        var text = "\(reference) \(gatewayStatus)"
        if !inserted.isEmpty { text += "; booked \(inserted.joined(separator: ","))" }
        if !present.isEmpty { text += "; already booked \(present.joined(separator: ","))" }
        if inserted.isEmpty && present.isEmpty { text += "; outcome \(settlement.outcome ?? "no-change")" }
        return text
    }
}

import Logging
import PaymentsCore

/// The operator commands Cryptomus supports: whole-invoice refunds to the payer's wallet and replay of stored
/// events. A refund ends as `refund_paid`, booked as `<uuid>-refund` by whichever of the command, the webhook or a
/// replay sees it first.
extension CryptomusGateway {
    public func refund(_ refund: OperatorRefund, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        guard refund.isWholeRemainder, refund.remaining == refund.payment.amount else {
            throw OperatorCommandError.refused("cryptomus refunds whole invoices only: leave out --amount")
        }
        guard let address = refund.payerAddress, !address.isEmpty else {
            throw OperatorCommandError.refused("cryptomus sends the refund to the payer's wallet: give --address")
        }
        let uuid = refund.payment.paymentID
        try invoices.api.refund(uuid: uuid, address: address, isSubtract: true)
        // The answer carries no refund; the invoice says how far it got (`refund_process` until Cryptomus paid it).
        let current = try invoices.api.paymentInfo(uuid: uuid)
        let settlement = Settlement(ledger: ledger, gateway: CryptomusGateway.ledgerID, logger: logger)
        guard current.status == "refund_paid", let session = try invoices.session(for: current, ledger: ledger)
        else {
            return OperatorCommandOutcome(
                reference: "\(uuid)-refund", gatewayStatus: current.status,
                settlement: SettlementResult(verdict: .open, outcome: current.status))
        }
        let result = try settlement.settle([invoices.fact(current, session: session)])
        return OperatorCommandOutcome(reference: "\(uuid)-refund", gatewayStatus: current.status, settlement: result)
    }

    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }
}

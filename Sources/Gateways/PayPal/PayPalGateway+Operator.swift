import Logging
import PaymentsCore

/// The operator commands PayPal supports: refunds of a capture and replay of stored events, booked through the same
/// facts as `PAYMENT.CAPTURE.REFUNDED`.
extension PayPalGateway {
    public func refund(_ refund: OperatorRefund, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        let captureID = refund.payment.paymentID
        let answer = try orders.api.refundCapture(captureID, amount: refund.amount, requestID: refund.idempotencyKey)
        var refundObject = answer
        // PayPal's answer may omit the `up` link; the refund is of the capture the call named.
        if refundObject.captureID == nil { refundObject.captureID = captureID }
        let settlement = Settlement(ledger: ledger, gateway: PayPalGateway.ledgerID, logger: logger)
        let result = try settlement.settle([PayPalWebhook.fact(refundObject, reversal: false)])
        return OperatorCommandOutcome(reference: answer.id, gatewayStatus: answer.status, settlement: result)
    }

    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        try webhook.replay(event, ledger: ledger, logger: logger)
    }
}

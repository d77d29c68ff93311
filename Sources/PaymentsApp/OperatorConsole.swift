import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// The gateway side of the operator commands (`payments-sync refund`, `capture`, `cancel`, `events replay`): checks
/// the ledger first, then calls the enabled gateway, which books what the gateway answered through the settlement
/// engine — the same facts and unique keys as its webhook — and publishes the session changes it made (issue 12).
/// Not Sendable: one thread uses it at a time.
public final class OperatorConsole {
    let assembly: ServiceAssembly
    let ledger: MariaDBLedger
    let logger: Logger
    /// Publishes what a command committed to the session's live-status channel, as the responder does.
    let events: EventPublisher

    /// Builds the enabled gateways exactly as the responder does.
    /// - Throws: `ConfigurationError` naming the variable, or libmariadb's initialisation error.
    public init(configuration: ConfigReader, transport: any HTTPTransport, logger: Logger) throws {
        try MariaDBLibrary.initialize()
        assembly = try ServiceAssembly(configuration: configuration, transport: transport)
        ledger = MariaDBLedger(
            configuration: assembly.database, reconcileAfterSeconds: assembly.sync.reconcileAfterSeconds)
        self.logger = logger
        events = EventPublisher(
            configuration: assembly.events, transport: transport, metrics: assembly.services.metrics, logger: logger)
        events.start()
    }

    /// Waits (a few seconds at most) for the live-status messages to go out, then closes the connection.
    public func close() {
        events.shutdown(deadlineSeconds: 5)
        ledger.close()
    }

    /// Runs `body` against the ledger, then publishes the session changes it committed, failed or not.
    private func publishing<Result>(_ body: (any Ledger) throws -> Result) throws -> Result {
        try events.publishing(on: ledger, body)
    }

    /// Refunds `amount` (nil: everything that is left) of a credited payment through its gateway.
    /// - Throws: `OperatorCommandError.refused` before any gateway call when the row is unknown, not a credit,
    ///   fully refunded already, or `amount` is not within what is left; `.notSupported` for gateways without a
    ///   refund API here.
    public func refund(paymentID: String, amount: Money?, reason: String, payerAddress: String?) throws
        -> OperatorCommandOutcome
    {
        guard let payment = try ledger.entry(paymentID: paymentID) else {
            throw OperatorCommandError.refused("no ledger row has payment_id \(paymentID)")
        }
        guard payment.refundOf == nil, payment.amount.cents > 0 else {
            throw OperatorCommandError.refused(
                "\(paymentID) is not a credit (it takes money back itself); refund the payment it names")
        }
        let refunded = try ledger.refundedTotal(of: paymentID)
        let remaining = Money(cents: payment.amount.cents - refunded.cents)
        guard remaining.cents > 0 else {
            throw OperatorCommandError.refused(
                "nothing is left to refund of \(paymentID): \(refunded.cents) of \(payment.amount.cents) cents are refunded"
            )
        }
        let requested = amount ?? remaining
        guard requested.cents > 0, requested.cents <= remaining.cents else {
            throw OperatorCommandError.refused(
                "cannot refund \(requested.cents) cents of \(paymentID): \(remaining.cents) of \(payment.amount.cents) cents are left"
            )
        }
        let gateway = try enabledGateway(payment.gateway)
        let refund = OperatorRefund(
            payment: payment, amount: requested, remaining: remaining, reason: reason, payerAddress: payerAddress)
        return try publishing { try gateway.refund(refund, ledger: $0, logger: logger) }
    }

    /// Captures the payment an open review holds; `reference` is the gateway's id of the payment (the
    /// PaymentIntent id) or the session's `public_id`.
    public func capture(reference: String) throws -> OperatorCommandOutcome {
        let session = try reviewSession(reference)
        let gateway = try enabledGateway(session.gateway)
        return try publishing { try gateway.capture(session, ledger: $0, logger: logger) }
    }

    /// Cancels the payment an open review holds and closes its session `canceled`.
    public func cancel(reference: String) throws -> OperatorCommandOutcome {
        let session = try reviewSession(reference)
        let gateway = try enabledGateway(session.gateway)
        return try publishing { try gateway.cancel(session, ledger: $0, logger: logger) }
    }

    /// Processes a stored delivery again through its gateway's webhook path.
    public func replay(_ event: WebhookEventRecord) throws -> SettlementResult {
        let gateway = try enabledGateway(event.gateway)
        return try publishing { try gateway.replay(event, ledger: $0, logger: logger) }
    }

    private func enabledGateway(_ ledgerID: String) throws -> any PaymentGateway {
        if let gateway = assembly.gateways[ledgerID] { return gateway }
        throw OperatorCommandError.refused("gateway \(ledgerID) is not enabled in this configuration")
    }

    /// The session behind `reference`; it must be held for review (`review`).
    private func reviewSession(_ reference: String) throws -> PaymentSession {
        var found = try ledger.session(publicID: reference)
        for ledgerID in assembly.gateways.keys.sorted() where found == nil {
            found = try ledger.session(gateway: ledgerID, externalID: reference)
        }
        guard let session = found else {
            throw OperatorCommandError.refused("no payment session of an enabled gateway is \(reference)")
        }
        guard session.status == .review else {
            throw OperatorCommandError.refused(
                "session \(session.publicID) is \(session.status.rawValue), not held for review")
        }
        return session
    }
}

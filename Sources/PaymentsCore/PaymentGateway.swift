import Logging

/// A payment gateway: its routes, the keys it publishes, and how reconciliation re-reads one of its sessions.
///
/// A gateway is added by writing a type conforming to this protocol in its own folder and one line in
/// `GatewayRegistry`; the router, configuration checks and reconciliation read that table.
public protocol PaymentGateway: Sendable {
    /// The routes under the gateway's prefix. Called once at start-up.
    var routes: [Route] { get }

    /// Pairs for `app-getPublicKeys` (`stripePublishableKey`, …); empty when the gateway publishes none.
    var publicKeys: [(String, String)] { get }

    /// Re-reads an open session from the gateway and applies what it finds through the webhook code path
    /// (DESIGN §8). Throws on transient failures so the session is retried with back-off.
    func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult

    /// Refunds through the gateway's own refund API (`payments-sync refund`) and books the gateway's answer as the
    /// same fact, under the same unique key, as the webhook reporting that refund, so the row appears once whoever
    /// sees it first. The caller has checked `refund.amount` against what the ledger says is left.
    /// - Throws: `OperatorCommandError.notSupported` (the default), `.refused` when the gateway cannot refund this
    ///   amount; gateway and ledger errors as they come.
    func refund(_ refund: OperatorRefund, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome

    /// Captures a payment an open review holds (`payments-sync capture`), crediting it through the same path as the
    /// webhook and reconciliation. - Throws: `OperatorCommandError` as for `refund`.
    func capture(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome

    /// Cancels a payment an open review holds (`payments-sync cancel`) and closes its session `canceled`, as the
    /// webhook path does. - Throws: `OperatorCommandError` as for `refund`.
    func cancel(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome

    /// Processes a stored, verified delivery again through the gateway's webhook path (`payments-sync events
    /// replay`), without its event row: money effects go through their unique keys, so an event applied before
    /// changes nothing. - Throws: `OperatorCommandError.notSupported` (the default) or what processing throws.
    func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult
}

extension PaymentGateway {
    public var publicKeys: [(String, String)] { [] }

    public func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult {
        .unchanged
    }

    public func refund(_ refund: OperatorRefund, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        throw OperatorCommandError.notSupported(command: "refund", gateway: refund.payment.gateway)
    }

    public func capture(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws
        -> OperatorCommandOutcome
    {
        throw OperatorCommandError.notSupported(command: "capture", gateway: session.gateway)
    }

    public func cancel(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> OperatorCommandOutcome {
        throw OperatorCommandError.notSupported(command: "cancel", gateway: session.gateway)
    }

    public func replay(_ event: WebhookEventRecord, ledger: any Ledger, logger: Logger) throws -> SettlementResult {
        throw OperatorCommandError.notSupported(command: "events replay", gateway: event.gateway)
    }
}

/// What reconciling one session found.
public enum ReconcileResult: Sendable, Equatable {
    /// Still open at the gateway: try again later.
    case unchanged
    /// Credited (or found credited) now.
    case credited
    /// Closed with this status (expired, canceled, failed).
    case closed(SessionStatus)
}

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
}

extension PaymentGateway {
    public var publicKeys: [(String, String)] { [] }

    public func reconcile(_ session: PaymentSession, ledger: any Ledger, logger: Logger) throws -> ReconcileResult {
        .unchanged
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

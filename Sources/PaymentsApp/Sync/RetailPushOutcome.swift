/// What one push of a ledger row to the Retail API means for that row (DESIGN §7's answer table).
public enum RetailPushOutcome: Sendable, Equatable, CustomStringConvertible {
    /// Retail holds the transaction (2xx, or it already had it): mark the row synced.
    case synced
    /// A transient failure (408, 425, 429, 5xx, timeout, connection): retry with backoff, or after
    /// `retryAfterSeconds` when Retail said so.
    case retry(reason: String, retryAfterSeconds: Int?)
    /// A permanent refusal (any other 4xx): mark the row failed and open an operator item.
    case failed(reason: String)
    /// Retail refused our credentials (401/403): stop, leave the row due, tell the operator.
    case configurationError(reason: String)

    /// The reason text stored in `last_sync_error` and logged; never a secret or a body.
    public var reason: String {
        switch self {
        case .synced: return "synced"
        case let .retry(reason, _), let .failed(reason), let .configurationError(reason): return reason
        }
    }

    public var description: String {
        switch self {
        case .synced: return "synced"
        case let .retry(reason, after): return "retry (\(reason)\(after.map { ", after \($0) s" } ?? ""))"
        case let .failed(reason): return "failed (\(reason))"
        case let .configurationError(reason): return "configuration error (\(reason))"
        }
    }
}

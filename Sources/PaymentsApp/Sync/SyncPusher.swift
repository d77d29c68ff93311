import Logging
import PaymentsCore
import PaymentsStore

/// What happened to one row handed to a `SyncPusher`.
public enum SyncPushResult: Sendable, Equatable {
    /// The row was pushed and its outcome recorded.
    case pushed(RetailPushOutcome)
    /// The row was not pushed (not claimable, already synced, claimed elsewhere), or its outcome could not be
    /// recorded; it stays due and a later pass takes it.
    case skipped(reason: String)
}

/// Pushes single ledger rows to Retail and records each outcome through one thread's `SyncStore` (DESIGN §7).
///
/// Not thread-safe: one instance per thread, like the store it owns. It never throws: every per-row failure
/// becomes a `SyncPushResult`, and the row is left due whenever its outcome cannot be recorded.
public final class SyncPusher {
    private let store: SyncStore
    private let client: RetailClient
    private let logger: Logger

    /// Creates a pusher over one thread's store.
    /// - Parameters:
    ///   - store: this thread's store; its claims make concurrent pushers skip each other's rows.
    ///   - client: the shared Retail client.
    ///   - logger: receives one line per outcome (debug when synced, info on retry, warning on errors).
    public init(store: SyncStore, client: RetailClient, logger: Logger) {
        self.store = store
        self.client = client
        self.logger = logger
    }

    /// Claims the row (a short transaction), pushes it and records the outcome.
    /// - Parameter rowID: a `tn_payments.id` handed over by the responder after its response was sent.
    /// - Returns: `.skipped` when the row cannot be claimed now, else the recorded outcome.
    public func push(rowID: Int64) -> SyncPushResult {
        let row: SyncRow?
        do {
            row = try store.claim(rowID: rowID)
        } catch {
            logger.warning("sync claim failed", metadata: ["sync.row": "\(rowID)", "error": "\(error)"])
            return .skipped(reason: "claim failed")
        }
        guard let row else {
            logger.debug("sync row not claimable", metadata: ["sync.row": "\(rowID)"])
            return .skipped(reason: "not claimable")
        }
        return pushClaimed(row)
    }

    /// Pushes a row this thread has already claimed and records the outcome, releasing the claim.
    /// - Parameter row: a row returned by `SyncStore.claim` or `SyncStore.claimDue`.
    /// - Returns: `.pushed(outcome)` once the outcome is stored, `.skipped` when storing it failed.
    public func pushClaimed(_ row: SyncRow) -> SyncPushResult {
        record(client.push(row), for: row)
    }

    /// Records the outcome of a push of a claimed row (and releases the claim); logs one line.
    /// - Returns: `.pushed(outcome)` once stored, `.skipped` when storing it failed (the row stays due).
    public func record(_ outcome: RetailPushOutcome, for row: SyncRow) -> SyncPushResult {
        var metadata: Logger.Metadata = [
            "sync.row": "\(row.id)", "payment.id": "\(row.paymentID)", "gateway.id": "\(row.gateway)",
            "sync.attempts": "\(row.attempts + 1)",
        ]
        do {
            switch outcome {
            case .synced:
                try store.markSynced(id: row.id)
                logger.debug("sync pushed", metadata: metadata)
            case let .retry(reason, after):
                try store.markRetry(id: row.id, error: reason, retryAfterSeconds: after)
                metadata["sync.reason"] = "\(reason)"
                logger.info("sync will retry", metadata: metadata)
            case let .failed(reason):
                try store.markFailed(id: row.id, error: reason)
                metadata["sync.reason"] = "\(reason)"
                logger.warning("sync failed permanently; operator item opened", metadata: metadata)
            case let .configurationError(reason):
                try store.release(id: row.id)
                metadata["sync.reason"] = "\(reason)"
                logger.warning("sync refused by Retail: check RETAIL_API_KEY and RETAIL_API_URL", metadata: metadata)
            }
        } catch {
            metadata["error"] = "\(error)"
            logger.warning("sync outcome not recorded; the row stays due", metadata: metadata)
            return .skipped(reason: "outcome not recorded")
        }
        return .pushed(outcome)
    }

    /// Records several successful pushes of claimed rows in one statement, releasing their claims.
    /// - Returns: how many were recorded (all or none; when storing fails the rows stay claimed until the lease
    ///   expires, then `payments-sync` pushes them again and Retail deduplicates on `transaction_id`).
    public func recordSynced(_ rows: [SyncRow]) -> Int {
        do {
            try store.markSynced(ids: rows.map(\.id))
        } catch {
            logger.warning(
                "sync outcomes not recorded; the rows stay due",
                metadata: ["sync.rows": "\(rows.count)", "error": "\(error)"])
            return 0
        }
        for row in rows {
            logger.debug(
                "sync pushed",
                metadata: [
                    "sync.row": "\(row.id)", "payment.id": "\(row.paymentID)", "gateway.id": "\(row.gateway)",
                    "sync.attempts": "\(row.attempts + 1)",
                ])
        }
        return rows.count
    }

    /// Releases a claimed row without pushing it (a pass stopping early); failures only log.
    public func release(_ row: SyncRow) {
        do {
            try store.release(id: row.id)
        } catch {
            logger.warning("sync release failed", metadata: ["sync.row": "\(row.id)", "error": "\(error)"])
        }
    }
}

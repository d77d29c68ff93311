import Logging
import PaymentsCore
import PaymentsStore

/// What happened to one row handed to a `SyncPusher`.
public enum SyncPushResult: Sendable, Equatable {
    /// The row was pushed and its outcome recorded.
    case pushed(RetailPushOutcome)
    /// The row was not pushed (not claimable, already synced, claimed elsewhere, its claim lapsed), or its outcome
    /// could not be recorded (storing failed, or its claim was taken over and the new pusher's outcome stands).
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

    /// Pushes a row this thread has claimed and records the outcome, releasing the claim; a row whose lease is
    /// (nearly) over is not pushed but released, so it stays due for the next pusher.
    /// - Parameter row: a row returned by `SyncStore.claim` or `SyncStore.claimDue`.
    /// - Returns: `.pushed(outcome)` once the outcome is stored, `.skipped` when the row was not pushed or
    ///   storing its outcome failed.
    public func pushClaimed(_ row: SyncRow) -> SyncPushResult {
        guard mayPush(row) else {
            releaseLapsed(row)
            return .skipped(reason: "claim lapsed")
        }
        return record(client.push(row), for: row)
    }

    /// True while the row's claim leaves time for a whole push before another pusher could take the row.
    public func mayPush(_ row: SyncRow) -> Bool { Self.mayPush(row, timeoutSeconds: client.timeoutSeconds) }

    /// True while `row` carries a claim with more than the lease margin left (`leaseMargin`).
    public static func mayPush(
        _ row: SyncRow, timeoutSeconds: Double, now: ContinuousClock.Instant = .now
    ) -> Bool {
        row.claim?.isLive(margin: leaseMargin(timeoutSeconds: timeoutSeconds), now: now) ?? false
    }

    /// How much of a claim must be left for a push to start: one Retail call's timeout, at most a third of the
    /// lease (a push is one call, or three when the customer must be created first).
    public static func leaseMargin(timeoutSeconds: Double) -> Duration {
        .seconds(min(max(timeoutSeconds, 0), Double(PushClaim.leaseSeconds) / 3))
    }

    /// Releases a claim too old to push under (it stays due); logs one line.
    public func releaseLapsed(_ row: SyncRow) {
        logger.notice(
            "sync claim lapsed before the push; row left due",
            metadata: ["sync.row": "\(row.id)", "payment.id": "\(row.paymentID)"])
        release(row)
    }

    /// Records the outcome of a push of a claimed row (and releases the claim); logs one line.
    /// - Returns: `.pushed(outcome)` once stored; `.skipped` when storing it failed (the row stays due) or the
    ///   claim was taken over meanwhile (the new pusher's outcome stands).
    public func record(_ outcome: RetailPushOutcome, for row: SyncRow) -> SyncPushResult {
        var metadata: Logger.Metadata = [
            "sync.row": "\(row.id)", "payment.id": "\(row.paymentID)", "gateway.id": "\(row.gateway)",
            "sync.attempts": "\(row.attempts + 1)",
        ]
        let recorded: Bool
        do {
            switch outcome {
            case .synced:
                recorded = try store.markSynced(row)
            case let .retry(reason, after):
                recorded = try store.markRetry(row, error: reason, retryAfterSeconds: after)
                metadata["sync.reason"] = "\(reason)"
            case let .failed(reason):
                recorded = try store.markFailed(row, error: reason)
                metadata["sync.reason"] = "\(reason)"
            case let .configurationError(reason):
                // Nothing is recorded: the claim is let go (unless already taken over) and the pass stops.
                recorded = true
                try store.release(row)
                metadata["sync.reason"] = "\(reason)"
            }
        } catch {
            metadata["error"] = "\(error)"
            logger.warning("sync outcome not recorded; the row stays due", metadata: metadata)
            return .skipped(reason: "outcome not recorded")
        }
        guard recorded else {
            metadata["sync.outcome"] = "\(outcome)"
            logger.notice("sync claim was taken over; outcome not recorded", metadata: metadata)
            return .skipped(reason: "claim taken over")
        }
        switch outcome {
        case .synced: logger.debug("sync pushed", metadata: metadata)
        case .retry: logger.info("sync will retry", metadata: metadata)
        case .failed: logger.warning("sync failed permanently; operator item opened", metadata: metadata)
        case .configurationError:
            logger.warning("sync refused by Retail: check RETAIL_API_KEY and RETAIL_API_URL", metadata: metadata)
        }
        return .pushed(outcome)
    }

    /// Records several successful pushes of claimed rows in one statement, releasing their claims.
    /// - Returns: how many were recorded: none when storing fails (the rows stay claimed until the lease expires,
    ///   then `payments-sync` pushes them again and Retail deduplicates on `transaction_id`), fewer when some
    ///   claims were taken over meanwhile.
    public func recordSynced(_ rows: [SyncRow]) -> Int {
        let recorded: Int
        do {
            recorded = try store.markSynced(rows)
        } catch {
            logger.warning(
                "sync outcomes not recorded; the rows stay due",
                metadata: ["sync.rows": "\(rows.count)", "error": "\(error)"])
            return 0
        }
        if recorded < rows.count {
            logger.notice(
                "sync claims were taken over; outcomes not recorded",
                metadata: ["sync.rows": "\(rows.count - recorded)"])
        }
        for row in rows {
            logger.debug(
                "sync pushed",
                metadata: [
                    "sync.row": "\(row.id)", "payment.id": "\(row.paymentID)", "gateway.id": "\(row.gateway)",
                    "sync.attempts": "\(row.attempts + 1)",
                ])
        }
        return recorded
    }

    /// Releases a claimed row without pushing it (a pass stopping early); failures only log.
    public func release(_ row: SyncRow) {
        do {
            try store.release(row)
        } catch {
            logger.warning("sync release failed", metadata: ["sync.row": "\(row.id)", "error": "\(error)"])
        }
    }
}

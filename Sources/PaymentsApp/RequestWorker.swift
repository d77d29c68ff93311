import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// One worker thread's handler; owns that thread's database connection and is never shared.
public final class RequestWorker {
    let pipeline: RequestPipeline
    let ledger: MariaDBLedger
    let syncQueue: SyncQueue
    let events: EventPublisher
    /// The session changes of the request being answered, published by `didFinish` (the worker answers one
    /// request at a time, on one thread).
    private var pendingEvents: SessionEventLog?

    init(pipeline: RequestPipeline, ledger: MariaDBLedger, syncQueue: SyncQueue, events: EventPublisher) {
        self.pipeline = pipeline
        self.ledger = ledger
        self.syncQueue = syncQueue
        self.events = events
    }

    /// Answers one request; never throws.
    ///
    /// While the push queue has room, the request's hand-off says so, and credits written through
    /// the settlement engine are written already claimed for the immediate Retail push (in the same transaction),
    /// so the push thread needs no claim transaction of its own.
    /// - Returns: the answer, and the rows the request wrote, for `didFinish` once the answer is out.
    public func handle(_ request: APIRequest, bodyTooLarge: Bool) -> (response: APIResponse, push: PushHandoff) {
        // A pooled worker's ledger borrows a connection when the request first reaches the database; `didFinish`
        // gives it back.
        let push = PushHandoff(claimsCredits: syncQueue.hasRoom)
        // With live status on, the handler's ledger notes the session changes it commits (`PublishingLedger`).
        let log = events.isEnabled ? SessionEventLog() : nil
        pendingEvents = log
        let requestLedger: any Ledger = log.map { PublishingLedger(ledger, log: $0) } ?? ledger
        return (pipeline.handle(request, bodyTooLarge: bodyTooLarge, ledger: requestLedger, push: push), push)
    }

    /// After the answer is out: hand the request's new ledger rows to the Retail push threads and its session
    /// changes to the event publisher.
    ///
    /// Claimed rows (credits) go as rows; unclaimed ones (refunds, or credits written while the queue was full) go
    /// as ids and are claimed by the push thread. Claimed rows the queue cannot take have their claims released
    /// here, so `payments-sync` takes them when due.
    public func didFinish(_ push: PushHandoff) {
        var claimed: [SyncRow] = []
        var others: [Int64] = []
        for row in push.rows {
            if row.claim == nil { others.append(row.id) } else { claimed.append(SyncRow(row)) }
        }
        let rejected = syncQueue.enqueue(claimed: claimed)
        if !rejected.isEmpty {
            do {
                try ledger.releasePushClaims(rejected)
            } catch {
                pipeline.logger.warning(
                    "push claims not released; they expire on their own", metadata: ["error": "\(error)"])
            }
        }
        if !others.isEmpty { syncQueue.enqueue(others) }
        if let log = pendingEvents, case let changes = log.take(), !changes.isEmpty {
            events.publish(changes, publicIDs: log.publicIDs) { [ledger] id in try ledger.session(id: id) }
        }
        pendingEvents = nil
        ledger.returnConnection()
    }

    /// Releases the connection; call on the worker's own thread when it stops.
    public func close() {
        ledger.close()
        MariaDBLibrary.threadEnd()
    }
}

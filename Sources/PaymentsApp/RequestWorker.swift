import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// One worker thread's handler; owns that thread's database connection and is never shared.
public final class RequestWorker {
    let pipeline: RequestPipeline
    let ledger: MariaDBLedger
    let syncQueue: SyncQueue

    init(pipeline: RequestPipeline, ledger: MariaDBLedger, syncQueue: SyncQueue) {
        self.pipeline = pipeline
        self.ledger = ledger
        self.syncQueue = syncQueue
    }

    /// Answers one request; never throws.
    ///
    /// While the push queue has room, credits this request writes are written already claimed for the immediate
    /// Retail push (in the same transaction), so the push thread needs no claim transaction of its own.
    public func handle(_ request: APIRequest, bodyTooLarge: Bool) -> APIResponse {
        ledger.claimsNewCreditsForPush = syncQueue.hasRoom
        return pipeline.handle(request, bodyTooLarge: bodyTooLarge, ledger: ledger)
    }

    /// After the answer is out: hand new ledger rows to the Retail push threads.
    ///
    /// Claimed credits go as rows; any other new row (a refund) goes as an id and is claimed by the push thread.
    /// Claimed rows the queue cannot take have their claims released here so `payments-sync` takes them when due.
    public func didFinish(_ response: APIResponse) {
        let claimed = ledger.takeRowsClaimedForPush()
        var others = response.newLedgerRowIDs
        if !claimed.isEmpty {
            let claimedIDs = Set(claimed.map(\.id))
            others.removeAll { claimedIDs.contains($0) }
            let rejected = syncQueue.enqueue(claimed: claimed)
            if !rejected.isEmpty {
                do {
                    try ledger.releasePushClaims(rejected)
                } catch {
                    pipeline.logger.warning(
                        "push claims not released; they expire on their own", metadata: ["error": "\(error)"])
                }
            }
        }
        if !others.isEmpty { syncQueue.enqueue(others) }
    }

    /// Releases the connection; call on the worker's own thread when it stops.
    public func close() {
        ledger.close()
        MariaDBLibrary.threadEnd()
    }
}

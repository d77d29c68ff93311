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
    public func handle(_ request: APIRequest, bodyTooLarge: Bool) -> APIResponse {
        pipeline.handle(request, bodyTooLarge: bodyTooLarge, ledger: ledger)
    }

    /// After the answer is out: hand new ledger rows to the Retail push threads.
    public func didFinish(_ response: APIResponse) {
        if !response.newLedgerRowIDs.isEmpty { syncQueue.enqueue(response.newLedgerRowIDs) }
    }

    /// Releases the connection; call on the worker's own thread when it stops.
    public func close() {
        ledger.close()
        MariaDBLibrary.threadEnd()
    }
}

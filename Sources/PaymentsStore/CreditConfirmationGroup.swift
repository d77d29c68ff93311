import Logging
import PaymentsCore

/// The responder's group commit of credit confirmations: one per process, shared by every worker's
/// `MariaDBLedger`.
///
/// Under load the credits of concurrent webhooks are confirmed together, one transaction and one COMMIT per batch
/// (`CreditBatch`); a lone webhook is confirmed at once with `tn_confirm_credit` as before. Every webhook still gets
/// its answer only after the COMMIT that holds its event and its credit, so nothing is answered before it is durable.
///
/// Batches run on connections of their own (`inFlightLimit` of them), not on the workers':
/// each connection that runs batches keeps a prepared statement per row count of each set-based statement
/// (`CreditBatchInsert`), so two connections hold them instead of every worker's, and the responder's memory no
/// longer grows with `FCGI_WORKERS` for them (bench/README.md, "batches on connections of their own").
public final class CreditConfirmationGroup: Sendable {
    /// Credits per transaction at most: 32 payloads of a few KiB stay one modest packet and one short transaction.
    public static let batchLimit = 32
    /// Transactions in flight at most: two, so one batch runs while the other waits for its COMMIT's flush; batches
    /// still grow under load (about 4 credits at 2,300 webhooks/s with 16 workers on the bench machine, about 8 at
    /// 3,100/s with 32; bench/README.md).
    public static let inFlightLimit = 2
    /// Credits queued before a second transaction starts beside a running one, when nothing says otherwise (tests);
    /// the responder uses `companyMinimum(connections:)`.
    public static let companyMinimum = 2

    /// The responder's company minimum: as many queued credits as it has MariaDB connections (`FCGI_WORKERS`; three
    /// request threads each), between 2 and `batchLimit`.
    ///
    /// Why so many: every transaction has a fixed cost (its statements and its COMMIT: about 0.26 ms of MariaDB's CPU
    /// whatever its size), so below saturation a second, small batch started beside the running one costs more than
    /// the wait it saves. With 16 connections, at half the saturated rate, waiting for 16 instead of 2 cut the
    /// machine's CPU per webhook by about 15 % (batches of 4–7 instead of 3–5) with the same latency, and under
    /// saturation batches grew from 12.5 to 16 credits (bench/README.md, "the company a second batch waits for").
    /// Scaled with the connections so that a small responder (4 connections, 12 threads) still runs two batches at
    /// once under load.
    public static func companyMinimum(connections: Int) -> Int {
        min(batchLimit, max(2, connections))
    }

    private let group: GroupCommit<CreditConfirmation, Result<LedgerOutcome, LedgerError>>
    /// Where batches run: one connection per batch in flight.
    private let batchConnections: DatabaseSessionPool
    private let batches: Metrics.Counter?
    private let items: Metrics.Counter?
    private let fallbacks: Metrics.Counter?

    /// - Parameters:
    ///   - batchConnections: where the batches' own connections go (`inFlightLimit` of them, each opened on first
    ///     use).
    ///   - metrics: where `payments_credit_batches_total`, `payments_credit_batch_items_total` and
    ///     `payments_credit_batch_fallbacks_total` go.
    public init(
        batchConnections: DatabaseConfiguration, metrics: Metrics? = nil,
        batchLimit: Int = CreditConfirmationGroup.batchLimit,
        inFlightLimit: Int = CreditConfirmationGroup.inFlightLimit,
        companyMinimum: Int = CreditConfirmationGroup.companyMinimum, logger: Logger? = nil
    ) {
        let group = GroupCommit<CreditConfirmation, Result<LedgerOutcome, LedgerError>>(
            batchLimit: batchLimit, inFlightLimit: inFlightLimit, companyMinimum: companyMinimum)
        self.group = group
        self.batchConnections = DatabaseSessionPool(
            configuration: batchConnections, count: group.inFlightLimit, logger: logger)
        batches = metrics?.counter(MetricName.creditBatches)
        items = metrics?.counter(MetricName.creditBatchItems)
        fallbacks = metrics?.counter(MetricName.creditBatchFallbacks)
    }

    /// Confirms `confirmation`, in a batch that this thread runs on one of the batches' own connections when it
    /// leads one.
    ///
    /// A pooled ledger gives its connection back first, so another request can use it while this credit waits for
    /// or runs its batch; it borrows one again only when it later reaches the database again.
    func confirm(_ confirmation: CreditConfirmation, for ledger: MariaDBLedger) throws(LedgerError) -> LedgerOutcome {
        ledger.returnConnection()
        return try group.submit(confirmation) { group in
            // At most `inFlightLimit` batches run at once, so a batch connection is always free here.
            let lease = batchConnections.acquire()
            defer { batchConnections.release(lease) }
            return CreditBatch.split(group).flatMap { batch in
                batches?.increment()
                items?.increment(by: batch.confirmations.count)
                return batch.apply(lease.session, fallbacks: fallbacks)
            }
        }.get()
    }

    /// Closes the batches' connections; only once no thread confirms credits any more (the workers have stopped).
    public func closeConnections() {
        batchConnections.closeAll()
    }
}

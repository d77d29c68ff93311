/// The name of every series the executables export, in one place (README "Metrics" lists each; `make check` checks
/// that `ops/` names only these).
///
/// Names follow Prometheus conventions: `_total` for counters, `_seconds` for durations and ages, base units only.
public enum MetricName {
    /// Gauge 1 with the labels `version` and `commit` (`BuildInfo`).
    public static let buildInfo = "payments_build_info"
    /// Counter of API answers, labels `route` and `status`.
    public static let requests = "payments_requests_total"
    /// Histogram of the time to answer a request, label `route`.
    public static let requestDuration = "payments_request_duration_seconds"
    /// Counter of webhook deliveries, labels `gateway` and `outcome`.
    public static let webhooks = "payments_webhooks_total"
    /// Counter of session events nchan's publisher did not take (refused, timed out, or turned away by a full queue).
    public static let eventPublishFailures = "payments_event_publish_failures_total"
    /// Histogram of outbound calls that reached the transport, label `service`.
    public static let outboundDuration = "payments_outbound_request_duration_seconds"
    /// Counter of failed outbound calls, labels `service` and `kind` (`OutboundMeter.ErrorKind`).
    public static let outboundErrors = "payments_outbound_errors_total"
    /// Gauge of each circuit breaker: 0 closed, 1 half-open, 2 open; label `service`.
    public static let circuitState = "payments_circuit_state"
    /// Gauge of rows waiting in the responder's Retail push queue.
    public static let pushQueueDepth = "payments_push_queue_depth"
    /// Counter of rows the full (or stopping) push queue left to `payments-sync`.
    public static let pushQueueDropped = "payments_push_queue_dropped_total"
    /// Counter of the responder's group-commit transactions of credit confirmations (`CreditConfirmationGroup`).
    public static let creditBatches = "payments_credit_batches_total"
    /// Counter of the credit confirmations those transactions held (divided by the batches: the mean batch size).
    public static let creditBatchItems = "payments_credit_batch_items_total"
    /// Counter of the batches the set-based path did not write (a credit not new: a stored event or payment, a
    /// session already credited; two credits of one event or session; a named session not as its credit needs), a
    /// lone named credit included: `CALL tn_confirm_credits` answered their other credits, and the webhooks of
    /// their named credits settled after reading their sessions.
    public static let creditBatchFallbacks = "payments_credit_batch_fallbacks_total"
    /// Gauge of the responder's worker threads (a few per `FCGI_WORKERS` connection).
    public static let workers = "payments_workers"
    /// Gauge of the worker threads answering a request now.
    public static let workersBusy = "payments_workers_busy"
    /// Counter of the FastCGI connections the responder accepted from nginx: with `fastcgi_keep_conn on` (the shipped
    /// sites) far fewer than the requests, one per request without it.
    public static let fastCGIConnectionsAccepted = "payments_fastcgi_connections_accepted_total"
    /// Gauge of unsynced ledger rows, read from the database when the page is read.
    public static let unsyncedRows = "payments_unsynced_rows"
    /// Gauge of the age of the oldest unsynced row, read from the database when the page is read.
    public static let oldestUnsyncedSeconds = "payments_oldest_unsynced_seconds"

    /// `payments-sync run`'s textfile for node_exporter (`SYNC_METRICS_TEXTFILE`).
    public enum Sync {
        /// Gauge: unix time the last run finished.
        public static let lastRunTimestamp = "payments_sync_last_run_timestamp_seconds"
        /// Gauge: unix time the last run whose sync pass completed finished (carried over by failed runs).
        public static let lastSuccessTimestamp = "payments_sync_last_success_timestamp_seconds"
        /// Gauge: rows of the last run's pass, label `outcome` (`synced`, `failed`, `retry`, `skipped`).
        public static let lastRunRows = "payments_sync_last_run_rows"
        /// Gauge: unsynced rows after the run.
        public static let unsyncedRows = "payments_sync_unsynced_rows"
        /// Gauge: rows refused for good (sync state `failed`) after the run.
        public static let failedRows = "payments_sync_failed_rows"
        /// Gauge: age of the oldest unsynced row after the run.
        public static let oldestUnsyncedSeconds = "payments_sync_oldest_unsynced_seconds"
    }
}

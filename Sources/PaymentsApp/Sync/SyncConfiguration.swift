import PaymentsCore

/// The Retail sync and reconciliation settings (DESIGN §7, §8, §9, §11), read once at start-up.
public struct SyncConfiguration: Sendable, Equatable {
    /// Threads draining the responder's in-process push queue (`SYNC_THREADS`).
    public var threads: Int
    /// Capacity of that queue; a full queue leaves rows to `payments-sync` (`SYNC_QUEUE_SIZE`).
    public var queueSize: Int
    /// Concurrent pushes of one `payments-sync run` pass (`SYNC_CONCURRENCY`).
    public var concurrency: Int
    /// Age before a session is first reconciled (`RECONCILE_AFTER_SECONDS`).
    public var reconcileAfterSeconds: Int
    /// Sessions reconciled per run at most (`RECONCILE_BATCH`).
    public var reconcileBatch: Int
    /// Age after which an unpaid session is closed (`RECONCILE_MAX_AGE_SECONDS`).
    public var reconcileMaxAgeSeconds: Int
    /// Webhook payloads older than this many days are purged (`WEBHOOK_RETENTION_DAYS`).
    public var webhookRetentionDays: Int
    /// node_exporter textfile `payments-sync run` writes its run's gauges to, or nil (`SYNC_METRICS_TEXTFILE`).
    public var metricsTextfile: String?

    /// Creates a configuration with the documented defaults.
    public init(
        threads: Int = 4, queueSize: Int = 1024, concurrency: Int = 8, reconcileAfterSeconds: Int = 900,
        reconcileBatch: Int = 200, reconcileMaxAgeSeconds: Int = 691_200, webhookRetentionDays: Int = 400,
        metricsTextfile: String? = nil
    ) {
        self.threads = threads
        self.queueSize = queueSize
        self.concurrency = concurrency
        self.reconcileAfterSeconds = reconcileAfterSeconds
        self.reconcileBatch = reconcileBatch
        self.reconcileMaxAgeSeconds = reconcileMaxAgeSeconds
        self.webhookRetentionDays = webhookRetentionDays
        self.metricsTextfile = metricsTextfile
    }

    /// Reads `SYNC_THREADS` (4), `SYNC_QUEUE_SIZE` (1024), `SYNC_CONCURRENCY` (8), `RECONCILE_AFTER_SECONDS` (900),
    /// `RECONCILE_BATCH` (200), `RECONCILE_MAX_AGE_SECONDS` (691200), `WEBHOOK_RETENTION_DAYS` (400) and
    /// `SYNC_METRICS_TEXTFILE` (none; an absolute path ending in `.prom`, the only files node_exporter reads).
    /// - Throws: `ConfigurationError` naming the first malformed or out-of-range variable.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let textfile = config.optional("SYNC_METRICS_TEXTFILE")
        if let textfile, !textfile.hasPrefix("/") || !textfile.hasSuffix(".prom") {
            throw ConfigurationError(
                variable: "SYNC_METRICS_TEXTFILE", problem: "must be an absolute path ending in .prom")
        }
        self.init(
            threads: try config.int("SYNC_THREADS", default: 4, range: 1...64),
            queueSize: try config.int("SYNC_QUEUE_SIZE", default: 1024, range: 1...1_048_576),
            concurrency: try config.int("SYNC_CONCURRENCY", default: 8, range: 1...256),
            reconcileAfterSeconds: try config.int("RECONCILE_AFTER_SECONDS", default: 900, range: 0...31_536_000),
            reconcileBatch: try config.int("RECONCILE_BATCH", default: 200, range: 1...100_000),
            reconcileMaxAgeSeconds: try config.int(
                "RECONCILE_MAX_AGE_SECONDS", default: 691_200, range: 60...315_360_000),
            webhookRetentionDays: try config.int("WEBHOOK_RETENTION_DAYS", default: 400, range: 1...36_500),
            metricsTextfile: textfile)
    }
}

import Foundation
import Logging
import MariaDB
import OutboundHTTP
import PaymentsCore
import PaymentsStore

/// Everything the responder shares across worker threads, built and validated once at start-up.
public final class Application: Sendable {
    let assembly: ServiceAssembly
    let pipeline: RequestPipeline
    let syncQueue: SyncQueue
    let events: EventPublisher
    /// Shared by every worker's ledger: concurrent credits are confirmed in one transaction.
    let creditGroup: CreditConfirmationGroup
    let logger: Logger
    /// The process's metrics: every series of `GET /api/metrics`.
    public let metrics: Metrics

    /// Reads and checks the whole configuration and the database schema.
    /// - Parameter connections: the MariaDB connections the worker threads will share (`FCGI_WORKERS`); the credit
    ///   batches' policy scales with them.
    /// - Throws: `ConfigurationError` naming the variable, or the migrator's error naming the schema version.
    public init(configuration: ConfigReader, logger: Logger, sqlDirectory: String?, connections: Int) throws {
        try MariaDBLibrary.initialize()
        // The process's one outbound transport: gateways, Firebase, reCAPTCHA and the Retail pushes share it. Every
        // push thread has up to `pushesInFlight` Retail calls out at once, each on its own keep-alive connection: an
        // idle pool smaller than that closed the extra ones after each round and opened new ones for the next.
        let pushThreads = try SyncConfiguration(configuration).threads
        let transport = SocketHTTPTransport(maxIdlePerHost: max(16, pushThreads * SyncQueue.pushesInFlight))
        let metrics = Metrics()
        self.metrics = metrics
        assembly = try ServiceAssembly(configuration: configuration, transport: transport, metrics: metrics)
        creditGroup = CreditConfirmationGroup(
            batchConnections: assembly.database, metrics: metrics,
            companyMinimum: CreditConfirmationGroup.companyMinimum(connections: connections), logger: logger)
        self.logger = logger
        if let sqlDirectory {
            try Migrator(configuration: assembly.database, directory: sqlDirectory).check()
        }
        pipeline = RequestPipeline(
            router: assembly.router, services: assembly.services,
            cors: CORSPolicy(allowedOrigins: assembly.core.corsAllowedOrigins),
            rateLimiter: RateLimiter(perMinute: assembly.core.rateLimitPerMinute), logger: logger)
        syncQueue = SyncQueue(
            configuration: assembly.sync, database: assembly.database,
            client: RetailClient(configuration: assembly.core, transport: transport, metrics: metrics), logger: logger,
            metrics: metrics)
        events = EventPublisher(
            configuration: assembly.events, transport: transport, metrics: assembly.services.metrics, logger: logger)
    }

    public var maxBodyBytes: Int { assembly.core.maxBodyBytes }

    /// Starts the Retail push threads, and fetches the Firebase certificates on a thread of their own so that the
    /// first requests after a start do not meet an empty certificate cache.
    public func start() {
        syncQueue.start()
        events.start()
        let authenticator = assembly.services.authenticator
        Thread.detachNewThread { authenticator.prepare() }
    }

    /// Must run on the thread that will use the worker (it registers the thread with libmariadb).
    /// - Parameter connections: where the worker's ledger borrows a connection when a request reaches the database.
    public func makeWorker(connections: DatabaseSessionPool) -> RequestWorker {
        MariaDBLibrary.threadInit()
        let ledger = MariaDBLedger(
            pool: connections, reconcileAfterSeconds: assembly.sync.reconcileAfterSeconds, creditGroup: creditGroup)
        return RequestWorker(pipeline: pipeline, ledger: ledger, syncQueue: syncQueue, events: events)
    }

    /// The responder's connections: `count` of them, borrowed by the worker threads' requests.
    public func makeConnectionPool(count: Int) -> DatabaseSessionPool {
        DatabaseSessionPool(configuration: assembly.database, count: count)
    }

    /// Closes the credit batches' connections (call it once the workers have stopped), then finishes queued Retail
    /// pushes and session events (at most `deadlineSeconds` in all) and stops their threads.
    public func shutdown(deadlineSeconds: Double) {
        let started = DispatchTime.now()
        creditGroup.closeConnections()
        syncQueue.shutdown(deadlineSeconds: deadlineSeconds)
        let spent = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        events.shutdown(deadlineSeconds: max(0.5, deadlineSeconds - spent))
    }
}

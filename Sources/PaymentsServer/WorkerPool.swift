import FastCGI
import Foundation
import Logging
import PaymentsApp
import PaymentsCore
import PaymentsStore
import Synchronization

/// The fixed pool of worker threads: each owns one `FastCGIRequest` and one `RequestWorker`, whose requests borrow one
/// of the `FCGI_WORKERS` MariaDB connections when they reach the database.
///
/// There are `threadsPerConnection` threads per connection: a webhook whose credit waits for its group-commit batch
/// gives its connection back while it waits, and another thread takes the next request with it. So up to
/// `threadsPerConnection × FCGI_WORKERS` requests are in flight, while at most `FCGI_WORKERS` do database work at
/// once; the batches grow with the requests in flight (bench/README.md).
///
/// Threads, not tasks: every step of a request (libfcgi, MariaDB, outbound HTTP) is a blocking C call, and a blocking
/// call must never sit on a Swift-concurrency thread.
final class WorkerPool: Sendable {
    /// Stack size of each worker thread; generous for the JSON and crypto paths, and untouched pages cost no memory.
    static let stackSize = 2 * 1024 * 1024
    /// Worker threads per MariaDB connection.
    static let threadsPerConnection = 3
    /// The parameters `APIRequestDecoder` reads; the FastCGI layer decodes only these.
    static let parameterFilter = FastCGIParameterFilter(
        names: APIRequestDecoder.parameterNames, prefixes: [APIRequestDecoder.headerParameterPrefix])

    private let application: Application
    private let listener: FastCGIListener
    private let logger: Logger
    private let running = Atomic<Int>(0)
    /// `DispatchTime` uptime in nanoseconds when `stop()` began; 0 while running.
    private let stopRequestedAt = Atomic<UInt64>(0)
    private let finished = DispatchGroup()
    /// Workers answering a request now (the others wait in `accept()`).
    private let busy = Atomic<Int>(0)
    /// The same count as `payments_workers_busy`.
    private let busyGauge: Metrics.Gauge
    /// `payments_fastcgi_connections_accepted_total`.
    private let connectionsAccepted: Metrics.Counter
    /// `DispatchTime` uptime in nanoseconds when a worker last finished a request.
    private let lastFinished = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    /// The connections the workers borrow.
    private let connections: DatabaseSessionPool
    /// `threadsPerConnection` per connection.
    private let threadCount: Int

    /// - Parameter connectionCount: `FCGI_WORKERS`, the MariaDB connections the worker threads share.
    init(application: Application, listener: FastCGIListener, logger: Logger, connectionCount: Int) {
        self.application = application
        self.listener = listener
        self.logger = logger
        connections = application.makeConnectionPool(count: connectionCount)
        threadCount = connectionCount * Self.threadsPerConnection
        busyGauge = application.metrics.gauge(MetricName.workersBusy)
        connectionsAccepted = application.metrics.counter(MetricName.fastCGIConnectionsAccepted)
    }

    /// How many worker threads have not yet left their loop.
    var runningCount: Int { running.load(ordering: .acquiring) }

    /// Starts the `threadCount` worker threads.
    func start() {
        for index in 0..<threadCount {
            running.add(1, ordering: .releasing)
            finished.enter()
            let thread = Thread { [self] in
                self.runWorker(index: index)
                self.running.subtract(1, ordering: .releasing)
                self.finished.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = Self.stackSize
            thread.start()
        }
    }

    /// Stops accepting; requests in flight finish, then each worker leaves its loop (`waitUntilFinished()` waits).
    ///
    /// Called from the signal thread; it returns at once.
    func stop() {
        stopRequestedAt.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
        listener.beginShutdown()
    }

    /// Whether the pool can still take requests: a worker waits in `accept()`, or one finished a request within the
    /// last `seconds`. False means every worker has been stuck in one request that long (the systemd watchdog then
    /// stops being fed and restarts the responder).
    func isResponsive(within seconds: Double) -> Bool {
        if busy.load(ordering: .acquiring) < runningCount { return true }
        let elapsed = DispatchTime.now().uptimeNanoseconds &- lastFinished.load(ordering: .acquiring)
        return Double(elapsed) / 1e9 < seconds
    }

    /// Seconds since `stop()` began (0 when it has not).
    var secondsSinceStop: Double {
        let start = stopRequestedAt.load(ordering: .acquiring)
        guard start > 0 else { return 0 }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Blocks until every worker thread has left its loop (after `listener.beginShutdown()`), then closes the
    /// connections.
    func waitUntilFinished() {
        finished.wait()
        connections.closeAll()
    }

    /// One thread's life: make the worker here (it binds its MariaDB thread state), serve until shutdown, close it.
    private func runWorker(index: Int) {
        let worker = application.makeWorker(connections: connections)
        defer { worker.close() }
        let slot: FastCGIRequest
        do {
            slot = try FastCGIRequest(listener: listener)
        } catch {
            logger.critical("worker cannot start", metadata: ["worker": "\(index)", "error": "\(error)"])
            return
        }
        var consecutiveFailures = 0
        while true {
            let accepted: Bool
            do {
                accepted = try slot.accept()
            } catch {
                // One failed accept (EMFILE, a connection reset before the begin record) must not end the worker;
                // back off a little so a persistent failure does not spin.
                consecutiveFailures += 1
                logger.error("accept failed", metadata: ["worker": "\(index)", "error": "\(error)"])
                usleep(useconds_t(min(consecutiveFailures, 20) * 50_000))
                continue
            }
            guard accepted else { return }
            consecutiveFailures = 0
            if !slot.isOnKeptConnection { connectionsAccepted.increment() }
            busy.add(1, ordering: .releasing)
            busyGauge.increment()
            serve(slot, worker: worker)
            lastFinished.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
            busy.subtract(1, ordering: .releasing)
            busyGauge.decrement()
        }
    }

    /// Answers the accepted request and hands its new ledger rows to the sync queue after finishing it.
    private func serve(_ slot: FastCGIRequest, worker: RequestWorker) {
        let parameters = slot.parameters(keeping: Self.parameterFilter)
        let length = APIRequestDecoder.contentLength(parameters)
        let tooLarge = length > application.maxBodyBytes
        var request = APIRequestDecoder.makeRequest(parameters: parameters, body: [])
        if !tooLarge {
            do {
                request.body = try slot.readBody(length: length)
            } catch {
                // The client or nginx went away mid-body: nothing can be answered, and nothing was acted on.
                logger.warning(
                    "request body incomplete", metadata: ["request.id": "\(request.requestID)", "error": "\(error)"])
                slot.finish()
                return
            }
        }
        let (response, push) = worker.handle(request, bodyTooLarge: tooLarge)
        do {
            try slot.respond(status: response.status, headers: response.headers, body: response.body)
        } catch {
            logger.warning(
                "response not delivered", metadata: ["request.id": "\(request.requestID)", "error": "\(error)"])
        }
        slot.finish()
        worker.didFinish(push)
    }
}

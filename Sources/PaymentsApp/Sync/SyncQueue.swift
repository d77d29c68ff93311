import Dispatch
import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// The responder's bounded in-process push queue, drained by `SYNC_THREADS` threads (DESIGN §7).
///
/// A drain thread takes up to `pushesInFlight` queued credits at once and has their Retail calls in flight together
/// (`RetailClient.push(_:)`), so under load one wake-up and one wait serve several rows; a waiting thread is woken
/// only when no thread is draining, or when more rows wait than the draining ones take per round.
///
/// Workers hand it new ledger rows after `FCGX_Finish_r` (`RequestWorker.didFinish`), so a push never holds a
/// worker: credits arrive already claimed (written claimed in the worker's own transaction, `PushHandoff`) and are
/// pushed at once; other rows (refunds) arrive as ids and are claimed first. `enqueue` never blocks: when the queue
/// is full the row is dropped and logged, and the row (written with `next_sync_at` 30 s ahead) is left to
/// `payments-sync` (claimed rows are handed back so the worker can release their claims). A claimed row whose lease
/// ran (nearly) out while it waited is never pushed under that claim: it is released and claimed anew. Outcomes are
/// recorded under the claim's token, so a push thread that was overtaken records nothing. A drain thread records
/// the successes of claimed pushes of all threads with one statement per 32, once the oldest has waited 200 ms, or
/// before a thread claims a row.
/// Each drain thread owns its own `SyncStore` and shares the transport.
public final class SyncQueue: Sendable {
    /// Makes a thread's store; called on that thread after `MariaDBLibrary.threadInit()`.
    public typealias StoreFactory = @Sendable () throws -> SyncStore

    /// One queued row: an id still to be claimed, or a row its writer already claimed.
    enum Item: Sendable {
        case id(Int64)
        case claimed(SyncRow)
    }

    private struct State {
        var buffer: [Item]
        var head = 0
        var count = 0
        var started = false
        var stopping = false
        var abandoned = false
        /// Successes of claimed pushes, from every drain thread, not recorded yet.
        var synced: [SyncRow] = []
        /// When the oldest of `synced` is to be recorded at the latest.
        var syncedDue = DispatchTime.distantFuture
        /// Drain threads pushing rows they took (they look at the queue again before they wait).
        var draining = 0
    }

    private let configuration: SyncConfiguration
    private let client: RetailClient
    private let logger: Logger
    private let makeStore: StoreFactory
    private let state: Locked<State>
    /// `payments_push_queue_depth`, set under the state lock whenever the count changes.
    private let depth: Metrics.Gauge
    /// `payments_push_queue_dropped_total`.
    private let dropped: Metrics.Counter
    private let running = DispatchGroup()

    /// Creates a stopped queue.
    /// - Parameters:
    ///   - configuration: `threads` and `queueSize` are used.
    ///   - client: the shared Retail client.
    ///   - logger: for per-row outcomes and thread problems.
    ///   - makeStore: opens one store per drain thread (retried on the next id when it fails).
    ///   - metrics: where the depth and the drops are recorded.
    public init(
        configuration: SyncConfiguration, client: RetailClient, logger: Logger, metrics: Metrics = Metrics(),
        makeStore: @escaping StoreFactory
    ) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.makeStore = makeStore
        self.depth = metrics.gauge(MetricName.pushQueueDepth)
        self.dropped = metrics.counter(MetricName.pushQueueDropped)
        self.state = Locked(State(buffer: Array(repeating: .id(0), count: max(1, configuration.queueSize))))
    }

    /// Creates a stopped queue whose threads open stores from `database`.
    public convenience init(
        configuration: SyncConfiguration, database: DatabaseConfiguration, client: RetailClient, logger: Logger,
        metrics: Metrics = Metrics()
    ) {
        self.init(configuration: configuration, client: client, logger: logger, metrics: metrics) {
            SyncStore(configuration: database)
        }
    }

    /// Starts the drain threads once; later calls do nothing.
    public func start() {
        let first = state.withLock { s in
            defer { s.started = true }
            return !s.started && !s.stopping
        }
        guard first else { return }
        for index in 0..<max(1, configuration.threads) {
            running.enter()
            let thread = Thread { [self] in
                drain(index: index)
                running.leave()
            }
            thread.name = "sync-\(index)"
            thread.start()
        }
    }

    /// Queues row ids for an immediate push (each is claimed first); never blocks. Ids that do not fit are dropped
    /// (and logged).
    public func enqueue(_ ids: [Int64]) {
        _ = enqueue(items: ids.map { .id($0) })
    }

    /// Queues rows their writer already claimed (`InsertedRow.claim` set); never blocks.
    /// - Returns: the rows that did not fit (queue full or stopping); the caller should release their claims.
    public func enqueue(claimed rows: [SyncRow]) -> [SyncRow] {
        enqueue(items: rows.map { .claimed($0) }).compactMap { item in
            if case let .claimed(row) = item { return row }
            return nil
        }
    }

    /// True while the queue accepts rows and has a free slot: workers claim new credits only then.
    public var hasRoom: Bool {
        state.withLock { s in !s.stopping && s.count < s.buffer.count }
    }

    /// Appends what fits and returns the items that did not.
    private func enqueue(items: [Item]) -> [Item] {
        guard !items.isEmpty else { return [] }
        let (rejected, wake): ([Item], Bool) = state.withLock { s in
            guard !s.stopping else { return (items, false) }
            var rejected: [Item] = []
            for item in items {
                if s.count == s.buffer.count {
                    rejected.append(item)
                    continue
                }
                s.buffer[(s.head + s.count) % s.buffer.count] = item
                s.count += 1
            }
            depth.set(Double(s.count))
            // A draining thread takes what waits when its round ends; wake another only when it would not keep up.
            return (rejected, s.draining == 0 || s.count > Self.pushesInFlight * s.draining)
        }
        if wake { state.signal() }
        if !rejected.isEmpty {
            dropped.increment(by: rejected.count)
            logger.notice(
                "sync queue full; rows left to payments-sync", metadata: ["sync.dropped": "\(rejected.count)"])
        }
        return rejected
    }

    /// Stops accepting ids, lets the threads finish what is queued until `deadlineSeconds` have passed, then
    /// tells them to leave the rest (it stays due for `payments-sync`) and returns.
    /// - Parameter deadlineSeconds: the longest this call waits (DESIGN §11: at most 10 s at SIGTERM).
    public func shutdown(deadlineSeconds: Double) {
        let first = state.withLock { s in
            defer { s.stopping = true }
            return !s.stopping
        }
        guard first else { return }
        state.broadcast()
        if running.wait(timeout: .now() + max(0, deadlineSeconds)) == .timedOut {
            let left: [Item] = state.withLock { s in
                s.abandoned = true
                let items = (0..<s.count).map { s.buffer[(s.head + $0) % s.buffer.count] }
                s.count = 0
                depth.set(0)
                return items
            }
            logger.warning(
                "sync queue shutdown deadline passed; rows left to payments-sync",
                metadata: ["sync.left": "\(left.count)"])
            releaseClaims(of: left)
        }
    }

    /// Releases the claims of abandoned claimed rows so `payments-sync` can take them as soon as they are due.
    private func releaseClaims(of items: [Item]) {
        let rows = items.compactMap { item -> SyncRow? in
            if case let .claimed(row) = item { return row }
            return nil
        }
        guard !rows.isEmpty else { return }
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        do {
            let store = try makeStore()
            defer { store.close() }
            try store.release(rows)
        } catch {
            logger.warning("sync claims not released; they expire on their own", metadata: ["error": "\(error)"])
        }
    }

    private enum Next {
        case push([Item])
        case flush
        case exit
    }

    /// Rows a drain thread takes at once, their Retail calls in flight together (`SocketHTTPTransport` keeps 16
    /// idle connections per host: two threads draining full rounds reuse them all).
    public static let pushesInFlight = 8

    /// Successes of claimed pushes, from all drain threads, recorded together once this many are waiting …
    static let syncedBatchLimit = 32
    /// … or once the oldest of them has waited this long, or before a drain thread claims a row (a refund waits for
    /// its payment to be recorded synced). Each record is a statement and a COMMIT of its own, so under load this
    /// keeps it to one per 32 pushes rather than one per short run of queued rows; a row whose success is lost with
    /// the process (pushed, not yet recorded) is pushed again by `payments-sync` when its claim lapses, and Retail
    /// takes its `transaction_id` once.
    static let syncedFlushDelay: DispatchTimeInterval = .milliseconds(200)

    /// One drain thread: waits for rows and pushes them until shutdown.
    ///
    /// A thread that added a success waits for more work at most until the successes are due, then records them, so
    /// none stays unrecorded while every thread sleeps.
    private func drain(index: Int) {
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        var pusher: SyncPusher?
        defer { recordSynced(with: pusher, force: true) }
        while true {
            let flushes = pusher != nil
            let next: Next = state.withLock(
                when: { s in s.count > 0 || s.stopping || s.abandoned },
                deadline: { s in flushes && !s.synced.isEmpty ? s.syncedDue : nil }
            ) { s in
                if s.abandoned { return .exit }
                guard s.count > 0 else { return s.stopping ? .exit : .flush }
                var items: [Item] = []
                while s.count > 0 && items.count < Self.pushesInFlight {
                    items.append(s.buffer[s.head])
                    s.head = (s.head + 1) % s.buffer.count
                    s.count -= 1
                }
                s.draining += 1
                depth.set(Double(s.count))
                return .push(items)
            }
            switch next {
            case .exit:
                return
            case .flush:
                recordSynced(with: pusher, force: false)
            case let .push(items):
                defer { state.withLock { s in s.draining -= 1 } }
                if pusher == nil {
                    do {
                        pusher = SyncPusher(store: try makeStore(), client: client, logger: logger)
                    } catch {
                        logger.warning(
                            "sync thread cannot open the database; rows left to payments-sync",
                            metadata: [
                                "sync.thread": "\(index)", "sync.rows": "\(items.map(Self.rowID))",
                                "error": "\(error)",
                            ])
                        continue
                    }
                }
                guard let pusher else { continue }
                push(items, with: pusher)
            }
        }
    }

    /// Pushes the rows one round took: the claimed ones still inside their lease together, then each other one.
    private func push(_ items: [Item], with pusher: SyncPusher) {
        var ready: [SyncRow] = []
        var others: [Item] = []
        for item in items {
            if case let .claimed(row) = item, pusher.mayPush(row) {
                ready.append(row)
            } else {
                others.append(item)
            }
        }
        for (row, outcome) in zip(ready, client.push(ready)) {
            if outcome == .synced {
                state.withLock { s in
                    if s.synced.isEmpty { s.syncedDue = .now() + Self.syncedFlushDelay }
                    s.synced.append(row)
                }
            } else {
                _ = pusher.record(outcome, for: row)
            }
        }
        recordSynced(with: pusher, force: false)
        for item in others {
            switch item {
            case let .id(id):
                // A refund is claimable only once its payment is recorded synced.
                recordSynced(with: pusher, force: true)
                _ = pusher.push(rowID: id)
            case let .claimed(row):
                // It waited in the queue until its lease (nearly) ran out: never push under it; claim it anew.
                pusher.releaseLapsed(row)
                recordSynced(with: pusher, force: true)
                _ = pusher.push(rowID: row.id)
            }
        }
    }

    /// Records the waiting successes (one statement) when `force`, when `syncedBatchLimit` wait or when the oldest
    /// is due; they are taken off the list first, so each is recorded by one thread.
    private func recordSynced(with pusher: SyncPusher?, force: Bool) {
        guard let pusher else { return }
        let rows: [SyncRow] = state.withLock { s in
            guard !s.synced.isEmpty,
                force || s.synced.count >= Self.syncedBatchLimit || DispatchTime.now() >= s.syncedDue
            else { return [] }
            defer {
                s.synced = []
                s.syncedDue = .distantFuture
            }
            return s.synced
        }
        if !rows.isEmpty { _ = pusher.recordSynced(rows) }
    }

    private static func rowID(_ item: Item) -> Int64 {
        switch item {
        case let .id(id): return id
        case let .claimed(row): return row.id
        }
    }
}

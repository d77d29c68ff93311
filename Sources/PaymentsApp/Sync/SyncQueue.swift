import Dispatch
import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization

/// The responder's bounded in-process push queue, drained by `SYNC_THREADS` threads (DESIGN §7).
///
/// Workers hand it new ledger row ids after `FCGX_Finish_r`, so a push never holds a worker. `enqueue` never
/// blocks: when the queue is full the id is dropped and counted, and the row (written with `next_sync_at` 30 s
/// ahead) is left to `payments-sync`. Each drain thread owns its own `SyncStore` and shares the transport.
public final class SyncQueue: Sendable {
    /// Makes a thread's store; called on that thread after `MariaDBLibrary.threadInit()`.
    public typealias StoreFactory = @Sendable () throws -> SyncStore

    private struct State {
        var buffer: [Int64]
        var head = 0
        var count = 0
        var dropped = 0
        var pushed = 0
        var started = false
        var stopping = false
        var abandoned = false
    }

    private let configuration: SyncConfiguration
    private let client: RetailClient
    private let logger: Logger
    private let makeStore: StoreFactory
    private let state: Mutex<State>
    /// One signal per queued id, plus one per thread at shutdown.
    private let available = DispatchSemaphore(value: 0)
    private let running = DispatchGroup()

    /// Creates a stopped queue.
    /// - Parameters:
    ///   - configuration: `threads` and `queueSize` are used.
    ///   - client: the shared Retail client.
    ///   - logger: for per-row outcomes and thread problems.
    ///   - makeStore: opens one store per drain thread (retried on the next id when it fails).
    public init(configuration: SyncConfiguration, client: RetailClient, logger: Logger, makeStore: @escaping StoreFactory)
    {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.makeStore = makeStore
        self.state = Mutex(State(buffer: Array(repeating: 0, count: max(1, configuration.queueSize))))
    }

    /// Creates a stopped queue whose threads open stores from `database`.
    public convenience init(
        configuration: SyncConfiguration, database: DatabaseConfiguration, client: RetailClient, logger: Logger
    ) {
        self.init(configuration: configuration, client: client, logger: logger) {
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

    /// Queues row ids for an immediate push; never blocks. Ids that do not fit are dropped and counted.
    public func enqueue(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        let accepted: Int = state.withLock { s in
            guard !s.stopping else {
                s.dropped += ids.count
                return 0
            }
            var accepted = 0
            for id in ids {
                if s.count == s.buffer.count {
                    s.dropped += 1
                    continue
                }
                s.buffer[(s.head + s.count) % s.buffer.count] = id
                s.count += 1
                accepted += 1
            }
            return accepted
        }
        for _ in 0..<accepted { available.signal() }
        if accepted < ids.count {
            logger.notice("sync queue full; rows left to payments-sync", metadata: ["sync.dropped": "\(ids.count - accepted)"])
        }
    }

    /// Ids dropped because the queue was full or stopping, since start.
    public var droppedCount: Int { state.withLock { $0.dropped } }
    /// Ids waiting in the queue now.
    public var pendingCount: Int { state.withLock { $0.count } }
    /// Rows pushed with a recorded outcome, since start.
    public var pushedCount: Int { state.withLock { $0.pushed } }

    /// Stops accepting ids, lets the threads finish what is queued until `deadlineSeconds` have passed, then
    /// tells them to leave the rest (it stays due for `payments-sync`) and returns.
    /// - Parameter deadlineSeconds: the longest this call waits (DESIGN §11: at most 10 s at SIGTERM).
    public func shutdown(deadlineSeconds: Double) {
        let threads: Int? = state.withLock { s in
            guard !s.stopping else { return nil }
            s.stopping = true
            return s.started ? max(1, configuration.threads) : 0
        }
        guard let threads else { return }
        for _ in 0..<threads { available.signal() }
        if running.wait(timeout: .now() + max(0, deadlineSeconds)) == .timedOut {
            let left = state.withLock { s in
                s.abandoned = true
                return s.count
            }
            logger.warning("sync queue shutdown deadline passed; rows left to payments-sync", metadata: ["sync.left": "\(left)"])
        }
    }

    private enum Next {
        case push(Int64)
        case again
        case exit
    }

    /// One drain thread: waits for ids and pushes them until shutdown.
    private func drain(index: Int) {
        MariaDBLibrary.threadInit()
        defer {
            client.releaseThreadResources()
            MariaDBLibrary.threadEnd()
        }
        var pusher: SyncPusher?
        while true {
            available.wait()
            let next: Next = state.withLock { s in
                if s.abandoned { return .exit }
                if s.count > 0 {
                    let id = s.buffer[s.head]
                    s.head = (s.head + 1) % s.buffer.count
                    s.count -= 1
                    return .push(id)
                }
                return s.stopping ? .exit : .again
            }
            switch next {
            case .exit:
                return
            case .again:
                continue
            case let .push(id):
                if pusher == nil {
                    do {
                        pusher = SyncPusher(store: try makeStore(), client: client, logger: logger)
                    } catch {
                        logger.warning(
                            "sync thread cannot open the database; row left to payments-sync",
                            metadata: ["sync.thread": "\(index)", "sync.row": "\(id)", "error": "\(error)"])
                        continue
                    }
                }
                if case .pushed = pusher?.push(rowID: id) { state.withLock { $0.pushed += 1 } }
            }
        }
    }
}

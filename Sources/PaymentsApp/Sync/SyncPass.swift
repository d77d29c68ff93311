import Dispatch
import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization

/// One `payments-sync run` pass over the rows that are due (DESIGN §7).
///
/// `SYNC_CONCURRENCY` threads each own a `SyncStore`, claim small batches with `claimDue` (one short
/// transaction per batch), push each row and record its outcome. The pass ends when nothing is due any more,
/// or at once on a configuration error (401/403): the threads then release their unpushed claims, so the rows
/// stay due. A progress line is written every 1000 rows.
public final class SyncPass: Sendable {
    /// Makes a thread's store; called on that thread after `MariaDBLibrary.threadInit()`.
    public typealias StoreFactory = @Sendable () throws -> SyncStore

    private struct Shared {
        var summary = SyncPassSummary()
        var stop = false
        var nextProgress = 1000
    }

    private let configuration: SyncConfiguration
    private let client: RetailClient
    private let logger: Logger
    private let makeStore: StoreFactory
    private let progress: @Sendable (String) -> Void
    private let shared = Mutex(Shared())

    /// Creates a pass; nothing runs until `run()`.
    /// - Parameters:
    ///   - configuration: `concurrency` is used.
    ///   - client: the shared Retail client.
    ///   - logger: per-row outcome lines.
    ///   - progress: receives the progress lines (the CLI prints them).
    ///   - makeStore: opens one store per pass thread.
    public init(
        configuration: SyncConfiguration, client: RetailClient, logger: Logger,
        progress: @escaping @Sendable (String) -> Void, makeStore: @escaping StoreFactory
    ) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.progress = progress
        self.makeStore = makeStore
    }

    /// Creates a pass whose threads open stores from `database`.
    public convenience init(
        configuration: SyncConfiguration, database: DatabaseConfiguration, client: RetailClient, logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) {
        self.init(configuration: configuration, client: client, logger: logger, progress: progress) {
            SyncStore(configuration: database)
        }
    }

    /// Pushes every due row once and returns the counts; blocks until the pass threads end. Call it once.
    public func run() -> SyncPassSummary {
        let group = DispatchGroup()
        for index in 0..<max(1, configuration.concurrency) {
            group.enter()
            let thread = Thread { [self] in
                work(index: index)
                group.leave()
            }
            thread.name = "sync-pass-\(index)"
            thread.start()
        }
        group.wait()
        return shared.withLock { $0.summary }
    }

    /// Lists up to `limit` due rows without claiming them (`--dry-run`).
    /// - Throws: the store's error when the database cannot be read.
    public func dueRows(limit: Int) throws -> [SyncRow] {
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        return try makeStore().listDue(limit: limit)
    }

    /// One pass thread: claim a batch, push it, record outcomes, until nothing is due or the pass stops.
    private func work(index: Int) {
        MariaDBLibrary.threadInit()
        defer {
            client.releaseThreadResources()
            MariaDBLibrary.threadEnd()
        }
        let pusher: SyncPusher
        let store: SyncStore
        do {
            store = try makeStore()
            pusher = SyncPusher(store: store, client: client, logger: logger)
        } catch {
            logger.error("sync pass cannot open the database", metadata: ["sync.thread": "\(index)", "error": "\(error)"])
            shared.withLock { s in
                if s.summary.storeError == nil { s.summary.storeError = "cannot open the database" }
            }
            return
        }
        var batchSize = 4
        while !shared.withLock({ $0.stop }) {
            let rows: [SyncRow]
            do {
                rows = try store.claimDue(limit: batchSize)
            } catch {
                logger.error("sync pass cannot claim rows", metadata: ["sync.thread": "\(index)", "error": "\(error)"])
                shared.withLock { s in
                    if s.summary.storeError == nil { s.summary.storeError = "cannot claim rows" }
                }
                return
            }
            if rows.isEmpty { return }
            let started = DispatchTime.now().uptimeNanoseconds
            for (position, row) in rows.enumerated() {
                if shared.withLock({ $0.stop }) {
                    for unpushed in rows[position...] { pusher.release(unpushed) }
                    return
                }
                record(pusher.pushClaimed(row))
            }
            batchSize = SyncPass.nextBatchSize(
                rows: rows.count, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        }
    }

    /// Keeps a claimed batch well inside the 60 s claim: about 10 s of pushes at the last observed pace, 1...32.
    static func nextBatchSize(rows: Int, nanoseconds: UInt64) -> Int {
        let perRow = Double(nanoseconds) / Double(max(1, rows)) / 1e9
        guard perRow > 0 else { return 32 }
        return max(1, min(32, Int(10 / perRow)))
    }

    /// Counts one result, stops the pass on a configuration error and writes the progress line.
    private func record(_ result: SyncPushResult) {
        let line: String? = shared.withLock { s in
            s.summary.count(result)
            if s.summary.configurationError != nil { s.stop = true }
            guard s.summary.total >= s.nextProgress else { return nil }
            s.nextProgress += 1000
            return "progress: \(s.summary)"
        }
        if let line { progress(line) }
    }
}

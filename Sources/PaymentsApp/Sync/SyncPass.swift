import Dispatch
import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization

/// One `payments-sync run` pass over the rows that are due (DESIGN §7).
///
/// A pipeline, so that no push waits for the database: one claimer thread claims small batches with
/// `claimDue` (one short transaction each, never far ahead of the pushers so claims stay well inside their
/// 60 s lease), `SYNC_CONCURRENCY` pusher threads only talk to Retail (at most that many pushes in flight), and
/// a few recorder threads, each with its own `SyncStore`, write the outcomes. The pass ends when nothing is due
/// any more, or at once on a configuration error (401/403): unpushed claims are then released, so the rows stay
/// due. A progress line is written every 1000 rows.
public final class SyncPass: Sendable {
    /// Makes a thread's store; called on that thread after `MariaDBLibrary.threadInit()`.
    public typealias StoreFactory = @Sendable () throws -> SyncStore

    private struct Shared {
        var summary = SyncPassSummary()
        var stop = false
        var nextProgress = 1000
    }

    /// What a pusher hands to the recorders.
    private enum Finished: Sendable {
        case pushed(SyncRow, RetailPushOutcome)
        case unpushed(SyncRow)
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
        let concurrency = max(1, configuration.concurrency)
        let work = SyncChannel<SyncRow>(capacity: concurrency * 2)
        let results = SyncChannel<Finished>(capacity: Int.max)
        let pushers = DispatchGroup()
        let recorders = DispatchGroup()
        for index in 0..<SyncPass.recorderCount(concurrency: concurrency) {
            SyncPass.spawn("sync-record-\(index)", recorders) { [self] in record(from: results, index: index) }
        }
        for index in 0..<concurrency {
            SyncPass.spawn("sync-push-\(index)", pushers) { [self] in push(from: work, to: results) }
        }
        let claimer = DispatchGroup()
        SyncPass.spawn("sync-claim", claimer) { [self] in claim(into: work, concurrency: concurrency) }
        claimer.wait()
        work.close()
        pushers.wait()
        results.close()
        recorders.wait()
        return shared.withLock { $0.summary }
    }

    /// Lists up to `limit` due rows without claiming them (`--dry-run`).
    /// - Throws: the store's error when the database cannot be read.
    public func dueRows(limit: Int) throws -> [SyncRow] {
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        let store = try makeStore()
        defer { store.close() }
        return try store.listDue(limit: limit)
    }

    /// Database writers per pass: enough for commits to overlap (group commit), few enough to spare connections.
    static func recorderCount(concurrency: Int) -> Int { min(4, max(1, (concurrency + 1) / 2)) }

    /// Rows to claim next: about 10 s of work at the pace so far (so claims never outlive their 60 s lease),
    /// `2 × concurrency` until there is a pace, within 1...`4 × concurrency`.
    static func claimLimit(recorded: Int, elapsedSeconds: Double, concurrency: Int) -> Int {
        guard recorded >= concurrency, elapsedSeconds > 0 else { return concurrency * 2 }
        let pace = Double(recorded) / elapsedSeconds
        return max(1, min(concurrency * 4, Int(pace * 10)))
    }

    /// Starts a named thread inside `group`.
    private static func spawn(_ name: String, _ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.name = name
        thread.start()
    }

    private var stopped: Bool { shared.withLock { $0.stop } }

    /// The claimer: keeps the pushers fed with claimed rows until nothing is due or the pass stops.
    private func claim(into work: SyncChannel<SyncRow>, concurrency: Int) {
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        let store: SyncStore
        do {
            store = try makeStore()
        } catch {
            storeFailed("cannot open the database", error)
            return
        }
        defer { store.close() }
        let started = DispatchTime.now().uptimeNanoseconds
        while !stopped {
            work.waitUntilBelow(concurrency)
            if stopped { return }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let limit = SyncPass.claimLimit(
                recorded: shared.withLock { $0.summary.total }, elapsedSeconds: elapsed, concurrency: concurrency)
            let rows: [SyncRow]
            do {
                rows = try store.claimDue(limit: limit)
            } catch {
                storeFailed("cannot claim rows", error)
                return
            }
            // Rows still in flight cannot become due again in this pass: a retry moves them 30 s or more ahead.
            if rows.isEmpty { return }
            for row in rows { work.put(row) }
        }
    }

    /// A pusher: pushes rows to Retail, hands outcomes to the recorders; after a stop it only hands rows back.
    private func push(from work: SyncChannel<SyncRow>, to results: SyncChannel<Finished>) {
        defer { client.releaseThreadResources() }
        while let row = work.take() {
            if stopped {
                results.put(.unpushed(row))
                continue
            }
            let outcome = client.push(row)
            if case .configurationError = outcome { shared.withLock { $0.stop = true } }
            results.put(.pushed(row, outcome))
        }
    }

    /// A recorder: writes outcomes (or releases unpushed claims) through its own store.
    private func record(from results: SyncChannel<Finished>, index: Int) {
        MariaDBLibrary.threadInit()
        defer { MariaDBLibrary.threadEnd() }
        var pusher: SyncPusher?
        var store: SyncStore?
        do {
            let opened = try makeStore()
            store = opened
            pusher = SyncPusher(store: opened, client: client, logger: logger)
        } catch {
            storeFailed("cannot open the database", error)
        }
        defer { store?.close() }
        while let item = results.take() {
            switch item {
            case let .pushed(row, outcome):
                count(pusher?.record(outcome, for: row) ?? .skipped(reason: "no database"))
            case let .unpushed(row):
                pusher?.release(row)
                count(.skipped(reason: "pass stopped"))
            }
        }
    }

    private func storeFailed(_ what: String, _ error: any Error) {
        logger.error("sync pass \(what)", metadata: ["error": "\(error)"])
        shared.withLock { s in
            s.stop = true
            if s.summary.storeError == nil { s.summary.storeError = what }
        }
    }

    /// Counts one result, stops the pass on a configuration error and writes the progress line.
    private func count(_ result: SyncPushResult) {
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

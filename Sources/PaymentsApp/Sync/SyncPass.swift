import Dispatch
import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// One `payments-sync run` pass over the rows that are due (DESIGN §7).
///
/// A pipeline, so that no push waits for the database: one claimer thread claims small batches with
/// `claimDue` (one short transaction each, never far ahead of the pushers so claims stay well inside their
/// 60 s lease), `SYNC_CONCURRENCY` pusher threads only talk to Retail (at most that many pushes in flight, none
/// under a lapsing claim), and a few recorder threads, each with its own `SyncStore`, write the outcomes under the
/// claims' tokens. Rows that wait for a row not synced yet are never claimed, so they cannot hold the head; when
/// nothing is claimable the claimer lets the rows in flight be recorded and looks once more, so a refund follows
/// its payment within the same pass. Before and after the pushes, rows whose dependency failed for good become
/// failed operator items (counted as failed). The pass ends when nothing is claimable any more, or at once on a
/// configuration error (401/403): unpushed claims are then released, so the rows stay due. A progress line is
/// written every 1000 rows.
public final class SyncPass: Sendable {
    /// Makes a thread's store; called on that thread after `MariaDBLibrary.threadInit()`.
    public typealias StoreFactory = @Sendable () throws -> SyncStore

    private struct Shared {
        var summary = SyncPassSummary()
        var stop = false
        var nextProgress = 1000
        /// Rows claimed and not yet recorded or released.
        var inFlight = 0
    }

    /// What a pusher hands to the recorders.
    private enum Finished: Sendable {
        case pushed(SyncRow, RetailPushOutcome)
        case unpushed(SyncRow)
        case lapsed(SyncRow)
    }

    private let configuration: SyncConfiguration
    private let client: RetailClient
    private let logger: Logger
    private let makeStore: StoreFactory
    private let progress: @Sendable (String) -> Void
    private let shared = Locked(Shared())

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
        guard settle(store) else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        var drained = false
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
            if rows.isEmpty {
                // Nothing claimable now. The rows in flight may be what others wait for: once they are recorded,
                // look once more. A row that met a retry is 30 s or more ahead, so it does not come back.
                if drained { break }
                waitForRowsInFlight()
                drained = true
                continue
            }
            drained = false
            shared.withLock { $0.inFlight += rows.count }
            for row in rows { work.put(row) }
        }
        if !stopped { _ = settle(store) }
    }

    /// Fails the due rows whose dependency failed for good (operator items, counted as failed) and moves the rows
    /// whose dependency waits for a retry; false when the database failed (the pass stops).
    private func settle(_ store: SyncStore) -> Bool {
        let settled: SyncStore.Settled
        do {
            settled = try store.settleWaitingRows()
        } catch {
            storeFailed("cannot settle rows waiting for other rows", error)
            return false
        }
        for row in settled.failed {
            logger.warning(
                "sync row waits for a row that failed for good; operator item opened",
                metadata: ["sync.row": "\(row.id)", "payment.id": "\(row.paymentID)", "gateway.id": "\(row.gateway)"])
        }
        if !settled.failed.isEmpty { shared.withLock { $0.summary.failed += settled.failed.count } }
        return true
    }

    /// Waits until every claimed row was recorded or released, or the pass stops.
    private func waitForRowsInFlight() {
        while shared.withLock({ $0.inFlight > 0 && !$0.stop }) { usleep(5_000) }
    }

    /// A pusher: pushes rows to Retail, hands outcomes to the recorders; after a stop it only hands rows back.
    private func push(from work: SyncChannel<SyncRow>, to results: SyncChannel<Finished>) {
        while let row = work.take() {
            if stopped {
                results.put(.unpushed(row))
                continue
            }
            guard SyncPusher.mayPush(row, timeoutSeconds: client.timeoutSeconds) else {
                results.put(.lapsed(row))
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
            case let .lapsed(row):
                pusher?.releaseLapsed(row)
                count(.skipped(reason: "claim lapsed"))
            }
            shared.withLock { $0.inFlight -= 1 }
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

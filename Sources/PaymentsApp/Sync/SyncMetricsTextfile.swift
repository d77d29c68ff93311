import Foundation
import PaymentsCore

#if canImport(Glibc)
    import Glibc
#endif

/// `payments-sync run`'s file for node_exporter's textfile collector (`SYNC_METRICS_TEXTFILE`): when the last run
/// finished, when the last successful one did, the rows of its pass and the backlog after it.
///
/// Written whole to a temporary file beside it and renamed over the old one, so the collector never reads half a
/// file; mode 0644 whatever the service's umask, so node_exporter's own user can read it. Only gauges: a counter
/// that restarts with every run would read as a reset to Prometheus.
public struct SyncMetricsTextfile: Sendable {
    /// The unsynced backlog after the run.
    public struct Backlog: Sendable, Equatable {
        public var unsynced: Int
        public var failed: Int
        public var oldestSeconds: Int

        public init(unsynced: Int, failed: Int, oldestSeconds: Int) {
            self.unsynced = unsynced
            self.failed = failed
            self.oldestSeconds = oldestSeconds
        }
    }

    /// Why the file could not be written.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// The file (absolute, ending in `.prom`: `SyncConfiguration` checks it).
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Whether a pass counts as successful: it ran to its end (the database was reachable and Retail took the
    /// credentials). Rows that failed or wait for a retry are outcomes of a successful pass.
    public static func succeeded(_ summary: SyncPassSummary) -> Bool {
        summary.configurationError == nil && summary.storeError == nil
    }

    /// Writes the file for a run that finished at `now`.
    /// - Parameters:
    ///   - summary: the pass's counts.
    ///   - backlog: the backlog after the pass; nil (not read) leaves those gauges out.
    ///   - now: unix seconds.
    ///   - metrics: the registry the gauges are set on and rendered from (the process's own).
    /// - Throws: `WriteError` when the temporary file cannot be written or renamed.
    public func write(summary: SyncPassSummary, backlog: Backlog?, now: Double, metrics: Metrics) throws(WriteError) {
        let lastSuccess = Self.succeeded(summary) ? now : (previousSuccess() ?? 0)
        metrics.set(MetricName.Sync.lastRunTimestamp, to: now)
        metrics.set(MetricName.Sync.lastSuccessTimestamp, to: lastSuccess)
        let rows = [
            ("synced", summary.synced), ("failed", summary.failed), ("retry", summary.retry),
            ("skipped", summary.skipped),
        ]
        for (outcome, count) in rows {
            metrics.set(MetricName.Sync.lastRunRows, labels: [("outcome", outcome)], to: Double(count))
        }
        if let backlog {
            metrics.set(MetricName.Sync.unsyncedRows, to: Double(backlog.unsynced))
            metrics.set(MetricName.Sync.failedRows, to: Double(backlog.failed))
            metrics.set(MetricName.Sync.oldestUnsyncedSeconds, to: Double(backlog.oldestSeconds))
        }
        try replace(with: Array(metrics.render().utf8))
    }

    /// The last success time the file holds now, if any.
    func previousSuccess() -> Double? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let prefix = MetricName.Sync.lastSuccessTimestamp + " "
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count))
        }
        return nil
    }

    /// Writes `bytes` to `<path>.tmp-<pid>` (not `*.prom`, so the collector skips it) and renames it over `path`.
    private func replace(with bytes: [UInt8]) throws(WriteError) {
        let temporary = "\(path).tmp-\(getpid())"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o644])
        else {
            throw WriteError(path: temporary, reason: "cannot create it")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw WriteError(path: path, reason: "rename failed: \(reason)")
        }
    }
}

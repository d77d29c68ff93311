import Foundation
import PaymentsCore
import Testing

@testable import PaymentsApp

/// `payments-sync run`'s node_exporter textfile: the run's gauges, the last success carried over a failed run, the
/// file replaced whole (no temporary left, mode 0644), and `SYNC_METRICS_TEXTFILE` checked at start-up.
@Suite struct SyncMetricsTextfileTests {
    /// A fresh directory, removed by `body`'s end.
    static func inDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    static func values(_ path: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#")
        {
            let parts = line.split(separator: " ")
            values[String(parts[0])] = parts.count == 2 ? String(parts[1]) : "unreadable: \(line)"
        }
        return values
    }

    @Test func aSuccessfulRunWritesItsRowsBacklogAndTimes() throws {
        try Self.inDirectory { directory in
            let path = directory.appendingPathComponent("payments-sync.prom").path
            var summary = SyncPassSummary()
            summary.synced = 7
            summary.failed = 1
            summary.retry = 2
            try SyncMetricsTextfile(path: path).write(
                summary: summary, backlog: .init(unsynced: 3, failed: 1, oldestSeconds: 42), now: 1_700_000_000,
                metrics: Metrics())
            let values = try Self.values(path)
            #expect(
                values == [
                    "payments_sync_last_run_timestamp_seconds": "1700000000.0",
                    "payments_sync_last_success_timestamp_seconds": "1700000000.0",
                    "payments_sync_last_run_rows{outcome=\"synced\"}": "7.0",
                    "payments_sync_last_run_rows{outcome=\"failed\"}": "1.0",
                    "payments_sync_last_run_rows{outcome=\"retry\"}": "2.0",
                    "payments_sync_last_run_rows{outcome=\"skipped\"}": "0.0",
                    "payments_sync_unsynced_rows": "3.0",
                    "payments_sync_failed_rows": "1.0",
                    "payments_sync_oldest_unsynced_seconds": "42.0",
                ])
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("# TYPE payments_sync_last_success_timestamp_seconds gauge\n"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["payments-sync.prom"])
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o644)
        }
    }

    @Test func aFailedRunKeepsTheLastSuccessAndLeavesOutAnUnreadBacklog() throws {
        try Self.inDirectory { directory in
            let path = directory.appendingPathComponent("payments-sync.prom").path
            let file = SyncMetricsTextfile(path: path)
            var failed = SyncPassSummary()
            failed.storeError = "database unreachable"
            #expect(!SyncMetricsTextfile.succeeded(failed))
            // Never succeeded yet: 0, so the staleness alert fires.
            try file.write(summary: failed, backlog: nil, now: 1_700_000_000, metrics: Metrics())
            #expect(try Self.values(path)["payments_sync_last_success_timestamp_seconds"] == "0.0")

            try file.write(summary: SyncPassSummary(), backlog: nil, now: 1_700_000_060.5, metrics: Metrics())
            var refused = SyncPassSummary()
            refused.configurationError = "transaction: HTTP 401"
            try file.write(summary: refused, backlog: nil, now: 1_700_000_120, metrics: Metrics())
            let values = try Self.values(path)
            #expect(values["payments_sync_last_success_timestamp_seconds"] == "1700000060.5")
            #expect(values["payments_sync_last_run_timestamp_seconds"] == "1700000120.0")
            #expect(values["payments_sync_unsynced_rows"] == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["payments-sync.prom"])
        }
    }

    @Test func anUnwritableDirectoryIsAnError() {
        let file = SyncMetricsTextfile(path: "/nonexistent-\(UUID())/payments-sync.prom")
        #expect(throws: SyncMetricsTextfile.WriteError.self) {
            try file.write(summary: SyncPassSummary(), backlog: nil, now: 1, metrics: Metrics())
        }
    }

    @Test(arguments: ["payments-sync.prom", "/var/lib/node-exporter/payments-sync.txt", "relative/x.prom"])
    func theVariableMustBeAnAbsolutePromFile(_ value: String) {
        #expect(throws: ConfigurationError.self) {
            try SyncConfiguration(ConfigReader(["SYNC_METRICS_TEXTFILE": value]))
        }
    }

    @Test func theVariableIsOptional() throws {
        #expect(try SyncConfiguration(ConfigReader([:])).metricsTextfile == nil)
        let path = "/var/lib/prometheus/node-exporter/payments-sync.prom"
        #expect(try SyncConfiguration(ConfigReader(["SYNC_METRICS_TEXTFILE": path])).metricsTextfile == path)
    }
}

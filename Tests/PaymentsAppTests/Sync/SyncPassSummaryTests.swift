import PaymentsCore
import Testing

@testable import PaymentsApp

@Suite("Sync pass bookkeeping and configuration")
struct SyncPassSummaryTests {
    @Test("exit code: 0 all synced, 1 failed or retry, 78 (EX_CONFIG) configuration error")
    func exitCodes() {
        var summary = SyncPassSummary()
        summary.count(.pushed(.synced))
        summary.count(.skipped(reason: "not claimable"))
        #expect(summary.exitCode == 0)
        #expect(summary.description == "synced=1 failed=0 skipped=1 retry=0")
        summary.count(.pushed(.retry(reason: "transaction: HTTP 503", retryAfterSeconds: nil)))
        #expect(summary.exitCode == 1)
        var failed = SyncPassSummary()
        failed.count(.pushed(.failed(reason: "transaction: HTTP 422")))
        #expect(failed.exitCode == 1)
        summary.count(.pushed(.configurationError(reason: "transaction: HTTP 401")))
        #expect(summary.exitCode == 78)
        #expect(summary.configurationError == "transaction: HTTP 401")
        #expect(summary.synced == 1 && summary.retry == 1 && summary.skipped == 2 && summary.total == 4)
    }

    @Test("claims stay small and far inside the 60 s lease")
    func claimLimit() {
        // No pace yet: two rows per pusher.
        #expect(SyncPass.claimLimit(recorded: 0, elapsedSeconds: 0, concurrency: 8) == 16)
        // Fast Retail: capped at four rows per pusher.
        #expect(SyncPass.claimLimit(recorded: 5000, elapsedSeconds: 4, concurrency: 8) == 32)
        // Slow Retail (0.8 rows/s): about 10 s of work.
        #expect(SyncPass.claimLimit(recorded: 8, elapsedSeconds: 10, concurrency: 8) == 8)
        #expect(SyncPass.claimLimit(recorded: 8, elapsedSeconds: 1000, concurrency: 8) == 1)
        #expect(SyncPass.recorderCount(concurrency: 8) == 4)
        #expect(SyncPass.recorderCount(concurrency: 1) == 1)
    }

    @Test("defaults and validation of the sync settings")
    func configuration() throws {
        let defaults = try SyncConfiguration(ConfigReader([:]))
        #expect(defaults == SyncConfiguration())
        #expect(defaults.threads == 4 && defaults.queueSize == 1024 && defaults.concurrency == 8)
        #expect(defaults.reconcileAfterSeconds == 900 && defaults.reconcileBatch == 200)
        #expect(defaults.reconcileMaxAgeSeconds == 691_200 && defaults.webhookRetentionDays == 400)
        let custom = try SyncConfiguration(
            ConfigReader(["SYNC_THREADS": "2", "SYNC_CONCURRENCY": "16", "WEBHOOK_RETENTION_DAYS": "30"]))
        #expect(custom.threads == 2 && custom.concurrency == 16 && custom.webhookRetentionDays == 30)
        #expect(throws: ConfigurationError.self) { try SyncConfiguration(ConfigReader(["SYNC_QUEUE_SIZE": "0"])) }
        do {
            _ = try SyncConfiguration(ConfigReader(["SYNC_CONCURRENCY": "many"]))
            Issue.record("a malformed SYNC_CONCURRENCY must throw")
        } catch {
            #expect(error.variable == "SYNC_CONCURRENCY")
        }
    }
}

import Foundation
import Logging
import MariaDB
import PaymentsCore
import PaymentsStore

/// What one reconciliation pass did; `exitCode` follows `payments-sync` (0 ok, 1 some failed, 78 configuration).
public struct ReconcileSummary: Sendable, CustomStringConvertible {
    public var examined = 0
    public var credited = 0
    public var closed = 0
    public var unchanged = 0
    public var failed = 0

    /// 0 when nothing failed, 1 when some session failed and waits for the next pass; configuration problems never
    /// reach a summary (they stop the pass before it starts, exit 78).
    public var exitCode: Int32 { failed > 0 ? 1 : 0 }

    public var description: String {
        "reconcile: examined=\(examined) credited=\(credited) closed=\(closed) unchanged=\(unchanged) failed=\(failed)"
    }
}

/// Re-reads open sessions whose webhook or creation answer never arrived and settles them through each
/// gateway's own webhook code path (DESIGN §8).
public final class Reconciler {
    let assembly: ServiceAssembly
    let logger: Logger
    /// Publishes the session changes of each reconciled session once it is settled (issue 12).
    let events: EventPublisher

    /// - Parameter transport: the process's outbound HTTP transport, shared with the Retail client.
    /// - Throws: `ConfigurationError` naming the variable, or libmariadb's initialisation error.
    public init(configuration: ConfigReader, transport: any HTTPTransport, logger: Logger) throws {
        try MariaDBLibrary.initialize()
        assembly = try ServiceAssembly(configuration: configuration, transport: transport)
        self.logger = logger
        events = EventPublisher(
            configuration: assembly.events, transport: transport, metrics: assembly.services.metrics, logger: logger)
    }

    /// One pass over at most `RECONCILE_BATCH` due sessions.
    public func run(dryRun: Bool) -> ReconcileSummary {
        var summary = ReconcileSummary()
        let store = ReconcileStore(configuration: assembly.database)
        let ledger = MariaDBLedger(
            configuration: assembly.database, reconcileAfterSeconds: assembly.sync.reconcileAfterSeconds)
        events.start()
        defer {
            events.shutdown(deadlineSeconds: 5)
            store.close()
            ledger.close()
        }
        let sessions: [PaymentSession]
        do {
            sessions =
                dryRun
                ? try store.listDueSessions(limit: assembly.sync.reconcileBatch)
                : try store.claimDueSessions(limit: assembly.sync.reconcileBatch)
        } catch {
            logger.error("reconcile: cannot read due sessions", metadata: ["error": "\(error)"])
            summary.failed += 1
            return summary
        }
        let now = Int64(Date().timeIntervalSince1970)
        for session in sessions {
            summary.examined += 1
            if dryRun {
                print("would reconcile \(session.gateway) session \(session.publicID) (\(session.status.rawValue))")
                continue
            }
            reconcile(session, now: now, store: store, ledger: ledger, summary: &summary)
        }
        return summary
    }

    private func reconcile(
        _ session: PaymentSession, now: Int64, store: ReconcileStore, ledger: MariaDBLedger,
        summary: inout ReconcileSummary
    ) {
        var logger = self.logger
        logger[metadataKey: "session.id"] = "\(session.publicID)"
        logger[metadataKey: "gateway.id"] = "\(session.gateway)"
        events.publishing(on: ledger) { publishing in
            reconcile(session, now: now, store: store, ledger: publishing, logger: logger, summary: &summary)
        }
    }

    /// One session against `ledger` (which publishes what it commits).
    private func reconcile(
        _ session: PaymentSession, now: Int64, store: ReconcileStore, ledger publishing: any Ledger, logger: Logger,
        summary: inout ReconcileSummary
    ) {
        do {
            guard let gateway = assembly.gateways[session.gateway] else {
                // A disabled gateway's sessions wait until it is enabled again.
                try store.reschedule(sessionID: session.id)
                summary.unchanged += 1
                return
            }
            let result = try gateway.reconcile(session, ledger: publishing, logger: logger)
            switch result {
            case .credited:
                summary.credited += 1
                try store.release(sessionID: session.id)
            case .closed(let status):
                try publishing.updateSessionStatus(sessionID: session.id, status: status)
                try store.release(sessionID: session.id)
                summary.closed += 1
            case .unchanged:
                if now - session.createdAt > Int64(assembly.sync.reconcileMaxAgeSeconds) {
                    try publishing.updateSessionStatus(sessionID: session.id, status: .expired)
                    try store.release(sessionID: session.id)
                    summary.closed += 1
                } else {
                    try store.reschedule(sessionID: session.id)
                    summary.unchanged += 1
                }
            }
            logger.info("reconciled", metadata: ["result": "\(result)"])
        } catch {
            summary.failed += 1
            logger.warning("reconcile failed, will retry", metadata: ["error": "\(error)"])
            try? store.reschedule(sessionID: session.id)
        }
    }
}

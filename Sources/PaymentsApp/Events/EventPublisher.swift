import Dispatch
import Foundation
import Logging
import PaymentsCore
import PaymentsStore

/// Posts session events to nchan's publisher location once the answer is out (issue 12).
///
/// The same hand-off as the Retail push (`SyncQueue`): the worker gives it the request's committed changes after
/// `FCGX_Finish_r`, resolves them on its own connection (one primary-key read per session) and queues the messages
/// without blocking; one background thread posts them in order to `POST {EVENTS_PUBLISH_URL}/<public_id>`, each with
/// a short timeout. A post nchan refuses, one that times out and a message a full queue turns away are counted
/// (`payments_event_publish_failures_total`) and logged, nothing more: publishing never delays or fails an answer,
/// and an app that missed a message still has the status route and its balance.
public final class EventPublisher: Sendable {
    private struct State {
        var pending: [SessionEventMessage] = []
        var started = false
        var stopping = false
    }

    /// False when `EVENTS_PUBLISH_URL` is empty: nothing is recorded or posted.
    public let isEnabled: Bool
    private let publishURL: String
    private let transport: any HTTPTransport
    private let failures: Metrics.Counter
    private let logger: Logger
    private let capacity: Int
    private let timeoutSeconds: Double
    private let state = Locked(State())
    private let available = DispatchSemaphore(value: 0)
    private let running = DispatchGroup()

    /// Creates a stopped publisher.
    /// - Parameters:
    ///   - capacity: messages waiting at most; more are dropped (and counted).
    ///   - timeoutSeconds: the longest one post may take (nchan answers a loopback post in well under a millisecond).
    public init(
        configuration: EventsConfiguration, transport: any HTTPTransport, metrics: Metrics, logger: Logger,
        capacity: Int = 1024, timeoutSeconds: Double = 2
    ) {
        isEnabled = configuration.publishURL != nil
        publishURL = configuration.publishURL ?? ""
        self.transport = transport
        failures = metrics.counter(MetricName.eventPublishFailures)
        self.logger = logger
        self.capacity = max(1, capacity)
        self.timeoutSeconds = timeoutSeconds
    }

    /// Starts the posting thread once (only when enabled); later calls do nothing.
    public func start() {
        let first = state.withLock { s in
            defer { s.started = true }
            return isEnabled && !s.started && !s.stopping
        }
        guard first else { return }
        running.enter()
        let thread = Thread { [self] in
            post()
            running.leave()
        }
        thread.name = "events"
        thread.start()
    }

    /// Turns committed changes into messages and queues them; never blocks on the network.
    /// - Parameter session: reads a session by row id, on the caller's connection (after its answer is out).
    /// Runs `body` against `ledger` wrapped to record what it commits, then publishes those changes, whether `body`
    /// threw or not (for one-shot work outside a request: reconciliation, operator commands).
    func publishing<Result>(on ledger: MariaDBLedger, _ body: (any Ledger) throws -> Result) rethrows -> Result {
        guard isEnabled else { return try body(ledger) }
        let changes = SessionEventLog()
        defer { publish(changes.take(), publicIDs: changes.publicIDs) { id in try ledger.session(id: id) } }
        return try body(PublishingLedger(ledger, log: changes))
    }

    /// - Parameter publicIDs: the `public_id`s the caller already knows (`SessionEventLog.publicIDs`); a change with
    ///   its own status and amount and a known `public_id` needs no read, since the message takes nothing else from
    ///   its session.
    public func publish(
        _ changes: [SessionChange], publicIDs: [Int64: String] = [:], session: (Int64) throws -> PaymentSession?
    ) {
        guard isEnabled, !changes.isEmpty else { return }
        var sessions: [Int64: PaymentSession] = [:]
        var messages: [SessionEventMessage] = []
        for change in changes {
            if let status = change.status, let amount = change.amount, let publicID = publicIDs[change.sessionID] {
                messages.append(
                    SessionEventMessage(
                        sessionID: publicID, status: status, amount: amount, paymentID: change.paymentID,
                        at: change.at))
                continue
            }
            do {
                if sessions[change.sessionID] == nil { sessions[change.sessionID] = try session(change.sessionID) }
                guard let found = sessions[change.sessionID] else { continue }
                messages.append(SessionEventMessage(change, session: found))
            } catch {
                fail("session event not published: session unreadable", error: error)
            }
        }
        let dropped: Int = state.withLock { s in
            guard !s.stopping else { return messages.count }
            let room = max(0, capacity - s.pending.count)
            s.pending.append(contentsOf: messages.prefix(room))
            return messages.count - min(room, messages.count)
        }
        if dropped < messages.count { available.signal() }
        for _ in 0..<dropped { fail("session event not published: queue full", error: nil) }
    }

    /// Stops taking messages, posts what is queued for at most `deadlineSeconds`, then returns.
    public func shutdown(deadlineSeconds: Double) {
        let started: Bool? = state.withLock { s in
            guard !s.stopping else { return nil }
            s.stopping = true
            return s.started
        }
        guard started == true else { return }
        available.signal()
        if running.wait(timeout: .now() + max(0, deadlineSeconds)) == .timedOut {
            let left = state.withLock { s in
                defer { s.pending = [] }
                return s.pending.count
            }
            logger.warning("session events left unpublished at shutdown", metadata: ["events.left": "\(left)"])
        }
    }

    /// The posting thread: takes everything queued, posts it in order, waits for more until shutdown.
    private func post() {
        while true {
            available.wait()
            while true {
                let (batch, stopping) = state.withLock { s in
                    defer { s.pending = [] }
                    return (s.pending, s.stopping)
                }
                for message in batch { post(message) }
                if batch.isEmpty {
                    if stopping { return }
                    break
                }
            }
        }
    }

    private func post(_ message: SessionEventMessage) {
        let request = HTTPRequest(
            method: "POST", url: "\(publishURL)/\(message.sessionID)",
            headers: [("Content-Type", "application/json")], body: message.body, timeout: timeoutSeconds)
        do {
            let response = try transport.send(request)
            if !(200..<300).contains(response.status) {
                fail("session event refused by the publisher (status \(response.status))", error: nil)
            }
        } catch {
            fail("session event not published", error: error)
        }
    }

    private func fail(_ message: Logger.Message, error: (any Error)?) {
        failures.increment()
        var metadata: Logger.Metadata = [:]
        if let error { metadata["error"] = "\(error)" }
        logger.warning(message, metadata: metadata)
    }
}

import Foundation

/// Stops calling a failing service: 5 consecutive failures within 30 s open it; after 30 s one trial call is let
/// through (half-open) and its outcome closes or re-opens it (DESIGN §3).
///
/// "Within 30 s" is measured between neighbours: a run of failures counts as long as each comes less than the window
/// after the one before. A service that hangs until the 10 s timeout fails one call every 10 s; measured from the
/// first failure, five of those would never fit in 30 s and the circuit would never open.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    private struct Status {
        var failures = 0
        var lastFailureAt = 0.0
        var openedAt: Double?
        var trialInFlight = false
    }

    public let service: String
    private let threshold: Int
    private let window: Double
    private let coolDown: Double
    private let status = Locked(Status())
    private let clock: @Sendable () -> Double

    /// - Parameter clock: unix seconds now (tests inject one).
    public init(
        service: String, threshold: Int = 5, window: Double = 30, coolDown: Double = 30,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.service = service
        self.threshold = threshold
        self.window = window
        self.coolDown = coolDown
        self.clock = clock
    }

    /// Returns nil when a call may go ahead, or the seconds to wait when the circuit is open.
    public func admit(now: Double? = nil) -> Int? {
        let now = now ?? clock()
        return status.withLock { s in
            guard let openedAt = s.openedAt else { return nil }
            let remaining = openedAt + coolDown - now
            if remaining > 0 { return max(1, Int(remaining.rounded(.up))) }
            if s.trialInFlight { return 1 }
            s.trialInFlight = true
            return nil
        }
    }

    public func recordSuccess() {
        status.withLock { $0 = Status() }
    }

    public func recordFailure(now: Double? = nil) {
        let now = now ?? clock()
        status.withLock { s in
            if s.openedAt != nil {
                s.openedAt = now
                s.trialInFlight = false
                return
            }
            if now - s.lastFailureAt > window { s.failures = 0 }
            s.failures += 1
            s.lastFailureAt = now
            if s.failures >= threshold { s.openedAt = now }
        }
    }

    public var state: State {
        status.withLock { s in
            guard let openedAt = s.openedAt else { return .closed }
            return clock() - openedAt >= coolDown ? .halfOpen : .open
        }
    }
}

import PaymentsCore

/// A fixed one-minute window per uid (`RATE_LIMIT_UID_PER_MINUTE`); the answer's reset time is the window's end.
final class RateLimiter: Sendable {
    private struct Window {
        var start: Int64
        var count: Int
    }

    private let limit: Int
    private let windows = Locked<[String: Window]>([:])

    init(perMinute limit: Int) {
        self.limit = limit
    }

    /// nil when allowed; otherwise the unix second at which the caller may try again.
    func check(uid: String, now: Int64) -> Int64? {
        let windowStart = now - now % 60
        return windows.withLock { table in
            if table.count > 100_000 { table = table.filter { $0.value.start == windowStart } }
            var window = table[uid] ?? Window(start: windowStart, count: 0)
            if window.start != windowStart { window = Window(start: windowStart, count: 0) }
            guard window.count < limit else { return windowStart + 60 }
            window.count += 1
            table[uid] = window
            return nil
        }
    }
}

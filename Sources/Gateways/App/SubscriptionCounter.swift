import PaymentsCore

/// Each uid's open streaming subscriptions (EventSource, WebSocket), for `EVENTS_MAX_PER_UID` (issue 12).
///
/// nchan limits subscribers per channel (`nchan_max_channel_subscribers`) or per channel group, never per user, so
/// the responder counts: `app-authorizeEvents` opens a subscription when it admits one, and nginx's
/// `nchan_unsubscribe_request` hook closes it when the connection ends. nchan sends that hook only for streaming
/// subscribers, so long-polls (one request per message) are checked for their ticket but not counted. The count lives
/// in this process: a responder restart forgets it (no one is refused wrongly), and a subscription whose close never
/// arrives (nginx restarted) stops counting after `maxAge`, the same hour after which nginx closes a subscriber
/// (`nchan_subscriber_timeout`).
final class SubscriptionCounter: Sendable {
    private struct Subscription {
        let key: String
        let since: Int64
    }

    private struct State {
        var byUID: [String: [Subscription]] = [:]
        var uidByKey: [String: String] = [:]
        var lastSweep: Int64 = 0
    }

    /// Seconds after which an open subscription is forgotten: nginx's `nchan_subscriber_timeout` (1 h) and a minute.
    static let maxAge: Int64 = 3660

    let limit: Int
    private let state = Locked(State())

    init(limit: Int) { self.limit = limit }

    /// Admits one more subscription for `uid` under `key` (the ticket, which the close hook names again).
    /// - Returns: false, admitting nothing, when `uid` already holds `limit` open subscriptions.
    func open(uid: String, key: String, now: Int64) -> Bool {
        state.withLock { s in
            if now - s.lastSweep > 60 {
                Self.sweep(&s, now: now)
                s.lastSweep = now
            }
            var open = (s.byUID[uid] ?? []).filter { now - $0.since < Self.maxAge }
            guard open.count < limit else {
                s.byUID[uid] = open
                return false
            }
            open.append(Subscription(key: key, since: now))
            s.byUID[uid] = open
            s.uidByKey[key] = uid
            return true
        }
    }

    /// Closes one subscription opened under `key`; an unknown key (opened before a restart) is ignored.
    func close(key: String) {
        state.withLock { s in
            guard let uid = s.uidByKey[key], var open = s.byUID[uid] else { return }
            if let index = open.firstIndex(where: { $0.key == key }) { open.remove(at: index) }
            if !open.contains(where: { $0.key == key }) { s.uidByKey[key] = nil }
            s.byUID[uid] = open.isEmpty ? nil : open
        }
    }

    /// Open subscriptions of `uid` now (for tests and diagnostics).
    func count(uid: String, now: Int64) -> Int {
        state.withLock { s in (s.byUID[uid] ?? []).filter { now - $0.since < Self.maxAge }.count }
    }

    /// Drops every subscription older than `maxAge`, so users who never come back do not keep memory.
    private static func sweep(_ s: inout State, now: Int64) {
        for (uid, open) in s.byUID {
            let kept = open.filter { now - $0.since < maxAge }
            guard kept.count != open.count else { continue }
            for gone in open where !kept.contains(where: { $0.key == gone.key }) { s.uidByKey[gone.key] = nil }
            s.byUID[uid] = kept.isEmpty ? nil : kept
        }
    }
}

import PaymentsCore

/// The idle keep-alive connections of one `host:port`, most recently returned last.
final class PlainHTTPIdlePool: Sendable {
    /// `host:port`.
    let key: String
    private let idle = Locked<[PlainHTTPConnection]>([])

    init(key: String) {
        self.key = key
    }

    /// A pooled connection idle for less than `maxIdleSeconds` that still looks usable, or nil; stale ones are
    /// dropped (closed) on the way.
    func take(maxIdleSeconds: Double) -> PlainHTTPConnection? {
        let now = PlainHTTPConnection.now()
        while true {
            let candidate: PlainHTTPConnection? = idle.withLock { $0.popLast() }
            guard let candidate else { return nil }
            if now - candidate.idleSince < maxIdleSeconds && candidate.isReusable { return candidate }
        }
    }

    /// Returns `connection` to the pool, or closes it when `limit` connections already wait.
    func put(_ connection: PlainHTTPConnection, limit: Int) {
        connection.idleSince = PlainHTTPConnection.now()
        idle.withLock { list in
            if list.count < limit { list.append(connection) }
        }
    }
}

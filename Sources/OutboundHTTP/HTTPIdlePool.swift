import PaymentsCore

/// The idle keep-alive connections of one `host:port`, most recently returned last.
final class HTTPIdlePool: Sendable {
    /// `host:port`.
    let key: String
    private let idle = Locked<[HTTPConnection]>([])

    init(key: String) {
        self.key = key
    }

    /// A pooled connection idle for less than `maxIdleSeconds` that still looks usable, or nil; stale ones are
    /// dropped (closed) on the way.
    func take(maxIdleSeconds: Double) -> HTTPConnection? {
        let now = HTTPConnection.now()
        while true {
            let candidate: HTTPConnection? = idle.withLock { $0.popLast() }
            guard let candidate else { return nil }
            if now - candidate.idleSince < maxIdleSeconds && candidate.isReusable { return candidate }
        }
    }

    /// Returns `connection` to the pool, or closes it when `limit` connections already wait.
    func put(_ connection: HTTPConnection, limit: Int) {
        connection.idleSince = HTTPConnection.now()
        idle.withLock { list in
            if list.count < limit { list.append(connection) }
        }
    }
}

import PaymentsCore

/// The counts of one `payments-sync run` sync pass and the exit code they mean (DESIGN §7).
public struct SyncPassSummary: Sendable, Equatable, CustomStringConvertible {
    /// Rows Retail now holds.
    public var synced = 0
    /// Rows refused permanently (operator items opened).
    public var failed = 0
    /// Rows not pushed, or whose outcome could not be recorded; they stay due.
    public var skipped = 0
    /// Rows that met a transient failure and were rescheduled with backoff.
    public var retry = 0
    /// Set when Retail refused the credentials (401/403) and the pass stopped; the rows stay due.
    public var configurationError: String?
    /// Set when the database could not be reached to claim rows.
    public var storeError: String?

    public init() {}

    /// Rows handled so far (every bucket).
    public var total: Int { synced + failed + skipped + retry }

    /// 78 (`EX_CONFIG`) on a configuration error, 1 when some row failed, will retry or could not be claimed, else 0.
    public var exitCode: Int32 {
        if configurationError != nil { return ConfigurationError.exitCode }
        if failed > 0 || retry > 0 || storeError != nil { return 1 }
        return 0
    }

    /// `synced=N failed=N skipped=N retry=N`, plus the reason when the pass stopped early.
    public var description: String {
        var text = "synced=\(synced) failed=\(failed) skipped=\(skipped) retry=\(retry)"
        if let configurationError { text += " stopped: configuration error (\(configurationError))" }
        if let storeError { text += " stopped: database error (\(storeError))" }
        return text
    }

    /// Adds one row's result.
    public mutating func count(_ result: SyncPushResult) {
        switch result {
        case .pushed(.synced): synced += 1
        case .pushed(.retry): retry += 1
        case .pushed(.failed): failed += 1
        case let .pushed(.configurationError(reason)):
            skipped += 1
            if configurationError == nil { configurationError = reason }
        case .skipped: skipped += 1
        }
    }
}

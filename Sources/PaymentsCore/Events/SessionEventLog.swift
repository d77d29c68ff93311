/// The session changes one request (or one operator or reconciliation step) made, kept until they are published.
///
/// Like `PushHandoff` it lives as long as the request and is used by that request's thread only; the worker reads it
/// after `FCGX_Finish_r`, so publishing never delays the answer.
public final class SessionEventLog {
    /// The changes so far, in commit order.
    public private(set) var changes: [SessionChange] = []

    public init() {}

    public func record(_ new: [SessionChange]) {
        changes.append(contentsOf: new)
    }

    /// Returns the changes recorded so far and forgets them.
    public func take() -> [SessionChange] {
        defer { changes = [] }
        return changes
    }
}

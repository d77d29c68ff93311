/// The session changes one request (or one operator or reconciliation step) made, kept until they are published.
///
/// Like `PushHandoff` it lives as long as the request and is used by that request's thread only; the worker reads it
/// after `FCGX_Finish_r`, so publishing never delays the answer.
public final class SessionEventLog {
    /// The changes so far, in commit order.
    public private(set) var changes: [SessionChange] = []

    /// The `public_id` of each session the request read or created, by row id: a change that carries its own status
    /// and amount needs nothing else of its session, so its message is built without reading the session again.
    public private(set) var publicIDs: [Int64: String] = [:]

    public init() {}

    /// Notes the `public_id` of a session the request read (it never changes).
    public func note(_ session: PaymentSession?) {
        if let session { note(id: session.id, publicID: session.publicID) }
    }

    /// Notes the `public_id` of a session the request found by it (a `NamedSessionCredit`'s).
    public func note(id: Int64, publicID: String) {
        publicIDs[id] = publicID
    }

    public func record(_ new: [SessionChange]) {
        changes.append(contentsOf: new)
    }

    /// Returns the changes recorded so far and forgets them.
    public func take() -> [SessionChange] {
        defer { changes = [] }
        return changes
    }
}

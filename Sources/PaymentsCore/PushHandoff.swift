/// The ledger rows one request wrote, handed to the Retail push once its answer is finished (DESIGN §7).
///
/// The worker makes one per request and reads it after `FCGX_Finish_r`; handlers and the settlement code add each
/// `LedgerOutcome` they get (the settlement engine of the request writes credits claimed while `claimsCredits` and takes its outcome). A class so the
/// handler's copy of the context shares it with the worker; used by the request's thread only.
public final class PushHandoff {
    /// Whether credits are to be written already claimed for the immediate push: true while the push queue has
    /// room, so a claim is never written for a row the queue would turn away.
    public let claimsCredits: Bool
    /// The rows taken so far, in the order they were written, each once.
    public private(set) var rows: [InsertedRow] = []

    /// - Parameter claimsCredits: whether the push queue has room (false: every row is left to a pusher's claim).
    public init(claimsCredits: Bool = false) {
        self.claimsCredits = claimsCredits
    }

    /// Adds the rows `outcome` wrote; a row already taken (the same outcome handed on twice) is kept once.
    public func take(_ outcome: LedgerOutcome) {
        for row in outcome.insertedRows where !rows.contains(where: { $0.id == row.id }) {
            rows.append(row)
        }
    }
}

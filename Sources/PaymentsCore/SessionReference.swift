/// A payment session as a gateway's verified data names it: its `public_id` and the uid the server attached when it
/// created the payment, the gateway's own id for the payment, and the gateway it must belong to.
///
/// Why a reference and not the session: a credit for it can be booked in the transaction that reads and locks the
/// session (`NamedSessionCredit`), which saves the webhook a database round trip of its own; everything else reads
/// the session with `resolve(in:)` first.
public struct SessionReference: Sendable, Equatable {
    public var publicID: String
    /// The ledger id of the gateway the session must belong to.
    public var gateway: String
    /// Must equal the session's uid.
    public var uid: String
    /// The gateway's id for the payment: the session must carry it, or no external id yet.
    public var externalID: String

    public init(publicID: String, gateway: String, uid: String, externalID: String) {
        self.publicID = publicID
        self.gateway = gateway
        self.uid = uid
        self.externalID = externalID
    }

    /// Whether `session` is the one named: the same gateway and uid, and the gateway's id or none yet.
    public func matches(_ session: PaymentSession) -> Bool {
        session.publicID == publicID && session.gateway == gateway && session.uid == uid
            && (session.externalID == nil || session.externalID == externalID)
    }

    /// The named session as stored now, or nil when there is none or it is not the one named.
    public func resolve(in ledger: any Ledger) throws -> PaymentSession? {
        guard let session = try ledger.session(publicID: publicID), matches(session) else { return nil }
        return session
    }
}

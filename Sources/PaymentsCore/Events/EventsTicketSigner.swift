import Signing

/// Issues and checks subscription tickets with `EVENTS_TICKET_SECRET` (issue 12).
///
/// The MAC is HMAC-SHA256 over `tn-events-v1`, the uid, the session's `public_id` and the expiry, one per line, so
/// a ticket is good only for the uid that owns the session, only for that session and only until it expires; it is
/// compared in constant time.
public struct EventsTicketSigner: Sendable {
    /// Why `check` refused a ticket.
    public enum Refusal: Error, Sendable, Equatable {
        /// Past its expiry (401).
        case expired
        /// The MAC does not match for the owner of the session it names: forged, tampered or from another secret (401).
        case invalid
        /// Valid, but for another session than the one subscribed to (403).
        case otherSession
    }

    private let secret: Secret
    /// Seconds a ticket stays valid.
    public let lifetime: Int

    public init(secret: Secret, lifetime: Int) {
        self.secret = secret
        self.lifetime = lifetime
    }

    /// A ticket for `uid` to follow the session `sessionID` (its `public_id`) from `now` for `lifetime` seconds.
    public func issue(uid: String, sessionID: String, now: Int64) -> EventsTicket {
        let expiresAt = now + Int64(lifetime)
        return EventsTicket(
            sessionID: sessionID, expiresAt: expiresAt, mac: mac(uid: uid, sessionID: sessionID, expiresAt: expiresAt))
    }

    /// Checks `ticket` for a subscription to `channel` by the uid that owns the ticket's session.
    /// - Parameters:
    ///   - owner: the uid of the session the ticket names (read by the caller), nil when that session does not exist.
    ///   - channel: the session id in the subscribed URL.
    /// - Throws: `Refusal`; expiry and the MAC are checked before the channel, so a forged ticket never learns more.
    public func check(_ ticket: EventsTicket, owner: String?, channel: String, now: Int64) throws(Refusal) {
        guard ticket.expiresAt >= now else { throw .expired }
        // A missing session still costs one MAC, so the answer's timing does not tell which sessions exist.
        let expected = mac(uid: owner ?? "", sessionID: ticket.sessionID, expiresAt: ticket.expiresAt)
        guard constantTimeEquals(expected, ticket.mac), owner != nil else { throw .invalid }
        guard ticket.sessionID == channel else { throw .otherSession }
    }

    /// The content the MAC covers (the uid cannot contain a newline: Firebase uids are at most 128 printable
    /// characters, and a newline would only ever make the MAC differ).
    static func signedContent(uid: String, sessionID: String, expiresAt: Int64) -> [UInt8] {
        Array("tn-events-v1\n\(uid)\n\(sessionID)\n\(expiresAt)".utf8)
    }

    private func mac(uid: String, sessionID: String, expiresAt: Int64) -> [UInt8] {
        HMAC.sha256(
            key: Array(secret.value.utf8),
            message: Self.signedContent(uid: uid, sessionID: sessionID, expiresAt: expiresAt))
    }
}

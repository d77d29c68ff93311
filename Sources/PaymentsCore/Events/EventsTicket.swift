import Signing

/// A subscription ticket as it appears in `/api/events/<public_id>?ticket=<t>`: `<public_id>.<expiry>.<mac>`.
///
/// Browsers' EventSource cannot send an Authorization header, so the URL carries this instead. The MAC binds the uid,
/// the session and the expiry (`EventsTicketSigner`); the uid itself stays out of the URL (and nginx's access log):
/// whoever checks a ticket reads it from the session the ticket names.
public struct EventsTicket: Sendable, Equatable {
    /// The session's `public_id` the ticket was issued for.
    public let sessionID: String
    /// Unix seconds after which the ticket no longer subscribes.
    public let expiresAt: Int64
    /// HMAC-SHA256 over `EventsTicketSigner.signedContent`.
    public let mac: [UInt8]

    public init(sessionID: String, expiresAt: Int64, mac: [UInt8]) {
        self.sessionID = sessionID
        self.expiresAt = expiresAt
        self.mac = mac
    }

    /// Parses the wire form; nil when it is not one (wrong shape, bad characters, a MAC that is not 32 bytes).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, Self.isSessionID(parts[0]), parts[1].count <= 12, parts[1].allSatisfy(\.isASCIIDigit),
            let expiresAt = Int64(parts[1]), let mac = Base64.urlDecode(String(parts[2])), mac.count == 32
        else { return nil }
        self.init(sessionID: String(parts[0]), expiresAt: expiresAt, mac: mac)
    }

    /// The wire form.
    public var text: String { "\(sessionID).\(expiresAt).\(Base64.urlEncode(mac))" }

    /// A `public_id` (or any channel id this backend would issue): 1...64 ASCII letters, digits and `-`.
    public static func isSessionID(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { $0 == 0x2D || $0.isASCIIAlphanumeric }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}

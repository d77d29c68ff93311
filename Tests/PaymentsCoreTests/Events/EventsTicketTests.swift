import PaymentsCore
import Signing
import Testing

/// Subscription tickets (issue 12): bound to the uid, the session and the expiry; forged, tampered, expired and
/// misdirected tickets are refused.
@Suite struct EventsTicketTests {
    let signer = EventsTicketSigner(secret: Secret(String(repeating: "s", count: 32)), lifetime: 300)
    let session = "0b9f7a52-8d55-4c1e-9a43-1f2e3d4c5b6a"
    let now: Int64 = 1_800_000_000

    @Test func aFreshTicketRoundTripsAndChecks() throws {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        #expect(ticket.expiresAt == now + 300)
        let parsed = try #require(EventsTicket(ticket.text))
        #expect(parsed == ticket)
        #expect(ticket.text.hasPrefix("\(session).\(now + 300)."))
        try signer.check(parsed, owner: "alice", channel: session, now: now)
        try signer.check(parsed, owner: "alice", channel: session, now: now + 300)
    }

    @Test func anExpiredTicketIsRefused() {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        #expect(throws: EventsTicketSigner.Refusal.expired) {
            try signer.check(ticket, owner: "alice", channel: session, now: now + 301)
        }
    }

    @Test func aTicketForAnotherUIDOrAMissingSessionIsInvalid() {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        #expect(throws: EventsTicketSigner.Refusal.invalid) {
            try signer.check(ticket, owner: "mallory", channel: session, now: now)
        }
        #expect(throws: EventsTicketSigner.Refusal.invalid) {
            try signer.check(ticket, owner: nil, channel: session, now: now)
        }
    }

    @Test func tamperingWithAnyPartIsDetected() throws {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        var flipped = ticket.mac
        flipped[0] ^= 0x01
        let longer = EventsTicket(sessionID: session, expiresAt: ticket.expiresAt + 3600, mac: ticket.mac)
        let otherSession = EventsTicket(sessionID: "other-session", expiresAt: ticket.expiresAt, mac: ticket.mac)
        for forged in [
            EventsTicket(sessionID: session, expiresAt: ticket.expiresAt, mac: flipped), longer, otherSession,
        ] {
            #expect(throws: EventsTicketSigner.Refusal.invalid) {
                try signer.check(forged, owner: "alice", channel: forged.sessionID, now: now)
            }
        }
        let otherSecret = EventsTicketSigner(secret: Secret(String(repeating: "t", count: 32)), lifetime: 300)
        #expect(throws: EventsTicketSigner.Refusal.invalid) {
            try otherSecret.check(ticket, owner: "alice", channel: session, now: now)
        }
    }

    @Test func aValidTicketForAnotherSessionIsForbidden() {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        #expect(throws: EventsTicketSigner.Refusal.otherSession) {
            try signer.check(ticket, owner: "alice", channel: "11111111-2222-4333-8444-555555555555", now: now)
        }
    }

    @Test(arguments: [
        "", "x", "a.b.c", "\(String(repeating: "a", count: 65)).1.\(String(repeating: "A", count: 43))",
        "s/x.1.\(String(repeating: "A", count: 43))", "s.-1.\(String(repeating: "A", count: 43))",
        "s.1.\(String(repeating: "A", count: 42))", "s.1.\(String(repeating: "A", count: 43)).extra",
        "s.1234567890123.\(String(repeating: "A", count: 43))",
    ])
    func malformedTicketsDoNotParse(_ text: String) {
        #expect(EventsTicket(text) == nil)
    }

    @Test func theMACIsHMACSHA256OverTheDocumentedContent() {
        let ticket = signer.issue(uid: "alice", sessionID: session, now: now)
        let expected = HMAC.sha256(
            key: Array(String(repeating: "s", count: 32).utf8),
            message: Array("tn-events-v1\nalice\n\(session)\n\(now + 300)".utf8))
        #expect(ticket.mac == expected)
    }

    @Test func configurationRefusesAShortSecretAndReadsDefaults() throws {
        #expect(throws: ConfigurationError.self) {
            try EventsConfiguration(ConfigReader(["EVENTS_TICKET_SECRET": "short"]))
        }
        let defaults = try EventsConfiguration(ConfigReader([:]))
        #expect(defaults.publishURL == nil)
        #expect(defaults.ticketSecret == nil)
        #expect(defaults.ticketSeconds == 300)
        #expect(defaults.maxPerUID == 5)
        let set = try EventsConfiguration(
            ConfigReader([
                "EVENTS_PUBLISH_URL": "http://127.0.0.1:8081/events-publish/", "EVENTS_TICKET_SECONDS": "60",
                "EVENTS_MAX_PER_UID": "2",
            ]))
        #expect(set.publishURL == "http://127.0.0.1:8081/events-publish")
        #expect(set.ticketSeconds == 60)
        #expect(set.maxPerUID == 2)
    }
}

import PaymentsCore
import PaymentsTestSupport
import Testing

/// `PublishingLedger` records what committed, once, in order, and turns it into the messages subscribers get.
@Suite struct PublishingLedgerTests {
    func event(_ id: String) -> WebhookEventRecord {
        WebhookEventRecord(gateway: "stripe", eventID: id, eventType: "t", payload: [], headers: [], outcome: "")
    }

    @Test func statusChangesAndRowsAreRecordedAfterTheyCommit() throws {
        let base = InMemoryLedger()
        let log = SessionEventLog()
        let ledger = PublishingLedger(base, log: log)
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        #expect(log.changes.isEmpty, "creating is not published")
        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_1", status: .pending)
        let credit = LedgerEntry(
            paymentID: "pi_1", uid: "u1", gateway: "stripe", amount: Money(cents: 1000), sessionID: session.id)
        _ = try ledger.apply(
            LedgerEffect(event: event("evt_1"), entries: [credit], sessionUpdates: [(session.id, .paid)]))
        let refund = LedgerEntry(
            paymentID: "re_1", uid: "u1", gateway: "stripe", amount: Money(cents: -1000), sessionID: session.id,
            refundOf: "pi_1")
        _ = try ledger.apply(
            LedgerEffect(event: event("evt_2"), entries: [refund], sessionUpdates: [(session.id, .refunded)]))
        // A duplicate delivery changes nothing and records nothing.
        _ = try ledger.apply(
            LedgerEffect(event: event("evt_1"), entries: [credit], sessionUpdates: [(session.id, .paid)]))
        let changes = log.take()
        #expect(changes.map(\.status) == [.pending, .paid, .refunded])
        #expect(changes.map(\.paymentID) == [nil, "pi_1", "re_1"])
        #expect(changes.map(\.amount) == [nil, Money(cents: 1000), Money(cents: -1000)])
        #expect(log.changes.isEmpty)

        let current = try #require(try base.session(publicID: session.publicID))
        let messages = changes.map { SessionEventMessage($0, session: current) }
        #expect(messages.map(\.sessionID) == Array(repeating: session.publicID, count: 3))
        #expect(messages[0].amount == Money(cents: 1000), "a status change shows the session's amount")
        let body = try JSONValue.parse(messages[2].body)
        #expect(body["session_id"]?.stringValue == session.publicID)
        #expect(body["status"]?.stringValue == "refunded")
        #expect(body["amount"]?.int64Value == -1000)
        #expect(body["payment_id"]?.stringValue == "re_1")
        #expect(body["at"]?.int64Value == changes[2].at)
        #expect(try JSONValue.parse(messages[0].body)["payment_id"] == nil)
    }

    @Test func notesThePublicIDOfEverySessionItReadsOrCreates() throws {
        let base = InMemoryLedger()
        let log = SessionEventLog()
        let ledger = PublishingLedger(base, log: log)
        let created = try ledger.createSession(gateway: "stripe", uid: "u1", amount: Money(cents: 900), currency: "USD")
        let other = try base.createSession(gateway: "stripe", uid: "u2", amount: Money(cents: 800), currency: "USD")
        try base.attachExternalID(sessionID: other.id, externalID: "pi_2", status: .pending)
        let third = try base.createSession(gateway: "stripe", uid: "u3", amount: Money(cents: 700), currency: "USD")
        #expect(log.publicIDs == [created.id: created.publicID])
        _ = try ledger.session(gateway: "stripe", externalID: "pi_2")
        _ = try ledger.session(publicID: third.publicID)
        _ = try ledger.session(publicID: "no-such-session")
        #expect(log.publicIDs == [created.id: created.publicID, other.id: other.publicID, third.id: third.publicID])
        _ = log.take()
        #expect(log.publicIDs.count == 3, "taking the changes keeps what is known of the sessions")
    }

    @Test func aFailedApplyRecordsNothing() throws {
        let base = InMemoryLedger()
        let log = SessionEventLog()
        let ledger = PublishingLedger(base, log: log)
        let session = try base.createSession(gateway: "stripe", uid: "u1", amount: Money(cents: 500), currency: "USD")
        base.failNextApply(.unavailable)
        #expect(throws: LedgerError.self) {
            try ledger.apply(LedgerEffect(event: event("evt_9"), sessionUpdates: [(session.id, .failed)]))
        }
        #expect(log.changes.isEmpty)
        try ledger.updateSessionStatus(sessionID: session.id, status: .expired)
        #expect(log.changes.map(\.status) == [.expired])
    }

    @Test func aRowWithoutAStatusChangeShowsTheSessionsStatusWhenPublished() throws {
        let base = InMemoryLedger()
        let log = SessionEventLog()
        let ledger = PublishingLedger(base, log: log)
        let session = try base.createSession(gateway: "stripe", uid: "u1", amount: Money(cents: 700), currency: "USD")
        try base.updateSessionStatus(sessionID: session.id, status: .paid)
        let credit = LedgerEntry(
            paymentID: "pi_7", uid: "u1", gateway: "stripe", amount: Money(cents: 700), sessionID: session.id)
        _ = try ledger.apply(LedgerEffect(entries: [credit]))
        let change = try #require(log.changes.first)
        #expect(change.status == nil)
        let current = try #require(try base.session(publicID: session.publicID))
        #expect(SessionEventMessage(change, session: current).status == .paid)
    }
}

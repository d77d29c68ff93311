import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// The one-round-trip confirmation (`tn_confirm_credit`, sql/0007): the commonest effect takes it, and each of its
/// answers leaves the database as the statement-by-statement path would (LedgerContractTests run both paths).
@Suite struct CreditConfirmationTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    private func effect(
        event eventID: String, payment: String, uid: String = "u1", cents: Int64 = 1000, session: Int64?
    ) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: eventID, eventType: "payment_intent.succeeded",
                payload: Array("{\"id\":\"\(eventID)\"}".utf8), headers: [("Stripe-Signature", "t=1,v1=x")],
                outcome: "credited"),
            entries: [
                LedgerEntry(
                    paymentID: payment, uid: uid, gateway: "stripe", amount: Money(cents: cents), sessionID: session)
            ],
            sessionUpdates: session.map { [($0, .paid)] } ?? [])
    }

    @Test func theCommonestEffectIsOneProcedureCall() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        try database.admin.executeText("DROP PROCEDURE tn_confirm_credit")
        // Without the procedure the commonest effect fails and writes nothing …
        #expect(throws: LedgerError.self) {
            try ledger.apply(effect(event: "evt_1", payment: "pi_1", session: session.id))
        }
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == 0)
        // … while another shape (two rows) still takes the statement-by-statement path.
        var twoRows = effect(event: "evt_2", payment: "pi_2", session: nil)
        twoRows.entries.append(LedgerEntry(paymentID: "pi_3", uid: "u1", gateway: "stripe", amount: Money(cents: 5)))
        #expect(try ledger.apply(twoRows).insertedRows.count == 2)
    }

    @Test func insertedClaimedRowEventAndSessionCommitTogether() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        let outcome = try ledger.apply(
            effect(event: "evt_1", payment: "pi_1", session: session.id), claimingCreditsForPush: true)
        let row = try #require(outcome.insertedRows.first)
        #expect(outcome.insertedRows.count == 1 && !outcome.duplicateEvent)
        let claim = try #require(row.claim)
        let stored = try #require(
            try database.admin.queryOne(
                """
                SELECT id, sync_claim_token, TIMESTAMPDIFF(SECOND, created_at, sync_claimed_until), session_id, \
                amount FROM tn_payments WHERE payment_id = 'pi_1'
                """))
        #expect(try stored.int64(0) == row.id)
        #expect(try stored.int64(1) == claim.token)
        #expect(try stored.int(2) == PushClaim.leaseSeconds)
        #expect(try stored.int64(3) == session.id)
        #expect(try stored.int64(4) == 1000)
        #expect(try ledger.session(publicID: session.publicID)?.status == .paid)
        let event = try #require(
            try database.admin.queryOne(
                "SELECT payload, headers, outcome FROM webhook_events WHERE event_id = 'evt_1'"))
        #expect(try event.bytes(0) == Array("{\"id\":\"evt_1\"}".utf8))
        #expect(try event.string(1) == "{\"Stripe-Signature\":\"t=1,v1=x\"}")
        #expect(try event.string(2) == "credited")
        // Unclaimed when the caller does not push.
        let unclaimed = try ledger.apply(effect(event: "evt_2", payment: "pi_2", session: nil))
        #expect(unclaimed.insertedRows.first?.claim == nil)
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM tn_payments WHERE payment_id = 'pi_2' AND sync_claim_token IS NULL")
                == 1)
    }

    @Test func eachAnswerMapsToTheOutcomeAndWritesWhatTheGeneralPathWrites() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        _ = try ledger.apply(effect(event: "evt_1", payment: "pi_1", session: session.id))

        // The same event again: nothing changes.
        #expect(try ledger.apply(effect(event: "evt_1", payment: "pi_9", session: nil)).duplicateEvent)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == 1)

        // Another event for the same payment: the event is kept, the row is not written twice.
        let again = try ledger.apply(effect(event: "evt_2", payment: "pi_1", session: session.id))
        #expect(again.alreadyPresent == ["pi_1"] && again.insertedRows.isEmpty)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == 2)

        // Another payment for the same session: an operator item instead of a second credit.
        let second = try ledger.apply(effect(event: "evt_3", payment: "pi_2", session: session.id))
        #expect(second.secondPayments == ["pi_2"] && second.insertedRows.isEmpty)
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM operator_items WHERE reason = 'second-payment' AND reference = 'pi_2'") == 1)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == 1)

        // The same payment id with another amount: an integrity error and nothing written, the event neither.
        let refused = try #require(throws: LedgerError.self) {
            try ledger.apply(effect(event: "evt_4", payment: "pi_1", cents: 999, session: nil))
        }
        #expect(refused.kind == .integrity)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_4'") == 0)
    }
}

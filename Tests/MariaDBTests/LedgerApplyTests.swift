import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// What MariaDBLedger writes beyond the shared contract (LedgerContractTests): the sync columns of a new row and
/// the stored delivery.
@Suite struct LedgerApplyTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    private func event(_ id: String, payload: String = "{\"id\":1}") -> WebhookEventRecord {
        WebhookEventRecord(
            gateway: "stripe", eventID: id, eventType: "payment_intent.succeeded", payload: Array(payload.utf8),
            headers: [("Stripe-Signature", "t=1,v1=ab\"c")], outcome: "credited")
    }

    private func credit(_ paymentID: String, cents: Int64 = 1000, uid: String = "u1", session: Int64? = nil)
        -> LedgerEntry
    {
        LedgerEntry(paymentID: paymentID, uid: uid, gateway: "stripe", amount: Money(cents: cents), sessionID: session)
    }

    @Test func appliesACreditWithEventSessionAndOperatorItem() throws {
        let ledger = database.ledger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        let outcome = try ledger.apply(
            LedgerEffect(
                event: event("evt_1"), entries: [credit("pi_1", session: session.id)],
                sessionUpdates: [(session.id, .paid)],
                operatorItems: [
                    OperatorItem(gateway: "stripe", reference: "pi_1", reason: "amount-mismatch", payload: "x")
                ]))
        #expect(!outcome.duplicateEvent)
        #expect(outcome.insertedRows.count == 1)
        #expect(outcome.alreadyPresent.isEmpty && outcome.overRefunds.isEmpty)

        let entry = try #require(try ledger.entry(paymentID: "pi_1"))
        #expect(entry.id == outcome.insertedRows.first?.id)
        #expect(entry.amount == Money(cents: 1000))
        #expect(entry.sessionID == session.id)
        #expect(entry.refundOf == nil)
        #expect(!entry.isSynced)
        #expect(try ledger.entry(paymentID: "PI_1") == nil)

        let row = try #require(
            try database.admin.queryOne(
                """
                SELECT sync_state, sync_attempts, TIMESTAMPDIFF(SECOND, created_at, next_sync_at), is_synced \
                FROM tn_payments WHERE payment_id = 'pi_1'
                """))
        #expect(try row.string(0) == "pending")
        #expect(try row.int(1) == 0)
        #expect(try row.int(2) == 30)
        #expect(try row.int(3) == 0)

        let stored = try #require(
            try database.admin.queryOne(
                """
                SELECT payload, JSON_VALUE(headers, '$."Stripe-Signature"'), outcome FROM webhook_events \
                WHERE event_id = 'evt_1'
                """
            ))
        #expect(try stored.bytes(0) == Array("{\"id\":1}".utf8))
        #expect(try stored.string(1) == "t=1,v1=ab\"c")
        #expect(try stored.string(2) == "credited")
        #expect(try ledger.eventExists(gateway: "stripe", eventID: "evt_1"))
        #expect(try !ledger.eventExists(gateway: "paypal", eventID: "evt_1"))
        #expect(try ledger.session(publicID: session.publicID)?.status == .paid)
        #expect(try database.count("SELECT COUNT(*) FROM operator_items WHERE reason = 'amount-mismatch'") == 1)
        #expect(try ledger.syncBacklog().unsynced == 1)
    }
}

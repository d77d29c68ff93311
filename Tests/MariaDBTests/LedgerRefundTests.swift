import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct LedgerRefundTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    private func adjustment(
        _ paymentID: String, of original: String, cents: Int64, uid: String = "u1", gateway: String = "stripe"
    ) -> LedgerEntry {
        LedgerEntry(paymentID: paymentID, uid: uid, gateway: gateway, amount: Money(cents: cents), refundOf: original)
    }

    @Test func refundBeforeItsPaymentIsRefundTargetMissing() throws {
        let ledger = database.ledger()
        let event = WebhookEventRecord(
            gateway: "stripe", eventID: "evt_r", eventType: "refund.updated", payload: [], headers: [],
            outcome: "refund")
        let error = try #require(throws: LedgerError.self) {
            try ledger.apply(LedgerEffect(event: event, entries: [adjustment("re_1", of: "pi_later", cents: -500)]))
        }
        #expect(error.kind == .refundTargetMissing)
        // Nothing is stored under the event id, so the gateway's retry is not a duplicate.
        #expect(try !ledger.eventExists(gateway: "stripe", eventID: "evt_r"))
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == 0)
    }

    @Test func partialRefundsUpToTheCapThenOverRefundGoesToAnOperator() throws {
        let ledger = database.ledger()
        let paymentRow = try database.credit(ledger, "pi_cap", cents: 1000)

        let first = try ledger.apply(LedgerEffect(entries: [adjustment("re_1", of: "pi_cap", cents: -400)]))
        #expect(first.insertedRowIDs.count == 1)
        #expect(try ledger.entry(paymentID: "re_1")?.refundOf == paymentRow)
        #expect(try ledger.refundedTotal(of: "pi_cap") == Money(cents: 400))

        let second = try ledger.apply(LedgerEffect(entries: [adjustment("re_2", of: "pi_cap", cents: -600)]))
        #expect(second.insertedRowIDs.count == 1)
        #expect(try ledger.refundedTotal(of: "pi_cap") == Money(cents: 1000))

        // Replaying a booked refund is not an over-refund.
        let replay = try ledger.apply(LedgerEffect(entries: [adjustment("re_2", of: "pi_cap", cents: -600)]))
        #expect(replay.alreadyPresent == ["re_2"])
        #expect(replay.overRefunds.isEmpty)

        let over = try ledger.apply(LedgerEffect(entries: [adjustment("re_3", of: "pi_cap", cents: -1)]))
        #expect(over.insertedRowIDs.isEmpty)
        #expect(over.overRefunds == ["re_3"])
        #expect(try ledger.entry(paymentID: "re_3") == nil)
        #expect(try ledger.refundedTotal(of: "pi_cap") == Money(cents: 1000))
        let item = try #require(
            try database.admin.queryOne("SELECT reason, gateway, payload FROM operator_items WHERE reference = 're_3'"))
        #expect(try item.string(0) == "over-refund")
        #expect(try item.string(1) == "stripe")
        #expect(try item.string(2).contains("pi_cap"))
        #expect(try ledger.refundedTotal(of: "unknown") == Money(cents: 0))
    }

    @Test func compensatingRowsGiveBackWhatWasTaken() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_c", cents: 1000)
        _ = try ledger.apply(LedgerEffect(entries: [adjustment("re_c", of: "pi_c", cents: -1000)]))
        let reversed = try ledger.apply(LedgerEffect(entries: [adjustment("re_c-reversed", of: "pi_c", cents: 1000)]))
        #expect(reversed.insertedRowIDs.count == 1)
        #expect(try ledger.refundedTotal(of: "pi_c") == Money(cents: 0))

        // A later refund fits again, and a dispute plus its reinstatement net to zero.
        _ = try ledger.apply(LedgerEffect(entries: [adjustment("du_1", of: "pi_c", cents: -1000)]))
        let reinstated = try ledger.apply(
            LedgerEffect(entries: [adjustment("du_1-reinstated", of: "pi_c", cents: 1000)]))
        #expect(reinstated.insertedRowIDs.count == 1)

        // Giving back more than was taken would create money: it goes to an operator instead.
        let extra = try ledger.apply(LedgerEffect(entries: [adjustment("extra-reinstated", of: "pi_c", cents: 1)]))
        #expect(extra.overRefunds == ["extra-reinstated"])
        #expect(try ledger.entry(paymentID: "extra-reinstated") == nil)
    }

    @Test func refundForAnotherUidIsAnIntegrityError() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_u", uid: "owner")
        let error = try #require(throws: LedgerError.self) {
            try ledger.apply(LedgerEffect(entries: [adjustment("re_u", of: "pi_u", cents: -100, uid: "intruder")]))
        }
        #expect(error.kind == .integrity)
    }

    /// Issue 6, item 4: a refund, dispute or compensation arriving through one gateway never adjusts a payment of
    /// another; like a uid mismatch it is an integrity error and writes nothing, not even the event.
    @Test(arguments: [Int64(-100), 100])
    func adjustmentThroughAnotherGatewayIsAnIntegrityError(_ cents: Int64) throws {
        let ledger = database.ledger()
        try database.credit(ledger, "CAP-PAYPAL-1", uid: "owner", gateway: "paypal")
        let event = WebhookEventRecord(
            gateway: "stripe", eventID: "evt_cross", eventType: "refund.created", payload: [], headers: [],
            outcome: "booked")
        let entry = adjustment("re_cross", of: "CAP-PAYPAL-1", cents: cents, uid: "owner", gateway: "stripe")
        let error = try #require(throws: LedgerError.self) {
            try ledger.apply(LedgerEffect(event: event, entries: [entry]))
        }
        #expect(error.kind == .integrity)
        #expect(try ledger.entry(paymentID: "re_cross") == nil)
        #expect(try !ledger.eventExists(gateway: "stripe", eventID: "evt_cross"))
        #expect(try database.count("SELECT COUNT(*) FROM operator_items") == 0)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == 1)
        // The same adjustment through the payment's own gateway is booked.
        let own = adjustment("re_own", of: "CAP-PAYPAL-1", cents: -100, uid: "owner", gateway: "paypal")
        #expect(try ledger.apply(LedgerEffect(entries: [own])).insertedRowIDs.count == 1)
    }

    /// Adjustments at the edges of Int64 are refused as over-refunds or over-compensations, never a trap.
    @Test func extremeAdjustmentsGoToAnOperator() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_edge", cents: 1000)
        _ = try ledger.apply(LedgerEffect(entries: [adjustment("re_part", of: "pi_edge", cents: -400)]))
        let cases: [(String, Int64, String)] = [
            ("re_min", .min, "over-refund"), ("re_max_neg", -.max, "over-refund"),
            ("re_comp-reversed", .max, "over-compensation"),
        ]
        for (paymentID, cents, reason) in cases {
            let outcome = try ledger.apply(LedgerEffect(entries: [adjustment(paymentID, of: "pi_edge", cents: cents)]))
            #expect(outcome.overRefunds == [paymentID])
            #expect(try ledger.entry(paymentID: paymentID) == nil)
            let item = try #require(
                try database.admin.queryOne(
                    "SELECT reason FROM operator_items WHERE reference = ?", [.text(paymentID)]))
            #expect(try item.string(0) == reason)
        }
        #expect(try ledger.refundedTotal(of: "pi_edge") == Money(cents: 400))
    }
}

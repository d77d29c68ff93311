import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

@Suite struct LedgerRefundTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    private func adjustment(_ paymentID: String, of original: String, cents: Int64, uid: String = "u1") -> LedgerEntry {
        LedgerEntry(paymentID: paymentID, uid: uid, gateway: "stripe", amount: Money(cents: cents), refundOf: original)
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
}

import PaymentsCore

extension LedgerContract {
    static func refundBeforePayment(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let refund = WebhookEventRecord(
            gateway: "stripe", eventID: "evt_r", eventType: "refund.updated", payload: [], headers: [],
            outcome: "refund")
        try expectLedgerError(.refundTargetMissing, "a refund of a payment not booked yet") {
            try ledger.apply(LedgerEffect(event: refund, entries: [adjustment("re_1", of: "pi_later", cents: -500)]))
        }
        // Nothing is stored under the event id, so the gateway's retry is not taken for a duplicate.
        try expect(try !ledger.eventExists(gateway: "stripe", eventID: "evt_r"), "the event of a refused refund")
        try expectCounts(subject, rows: 0, events: 0, "rows and events")
        try book(ledger, credit("pi_later"))
        let retried = try ledger.apply(
            LedgerEffect(event: refund, entries: [adjustment("re_1", of: "pi_later", cents: -500)]))
        try expectEqual(retried.insertedRows.count, 1, "the retried refund")
        try expectEqual(try ledger.refundedTotal(of: "pi_later"), Money(cents: 500), "refunded total")
    }

    static func refundCap(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let paymentRow = try book(ledger, credit("pi_cap", cents: 1000))
        let first = try ledger.apply(LedgerEffect(entries: [adjustment("re_1", of: "pi_cap", cents: -400)]))
        try expectEqual(first.insertedRows.count, 1, "first refund")
        try expectEqual(try ledger.entry(paymentID: "re_1")?.refundOf, paymentRow, "refund_of is the payment's row id")
        try book(ledger, adjustment("re_2", of: "pi_cap", cents: -600))
        try expectEqual(try ledger.refundedTotal(of: "pi_cap"), Money(cents: 1000), "refunded up to the payment")
        let replay = try ledger.apply(LedgerEffect(entries: [adjustment("re_2", of: "pi_cap", cents: -600)]))
        try expectEqual(replay.alreadyPresent, ["re_2"], "a booked refund again")
        try expect(replay.overRefunds.isEmpty, "a booked refund again is no over-refund")
        let over = try ledger.apply(LedgerEffect(entries: [adjustment("re_3", of: "pi_cap", cents: -1)]))
        try expect(over.insertedRows.isEmpty, "an over-refund was booked")
        try expectEqual(over.overRefunds, ["re_3"], "over-refunds")
        try expectEqual(try ledger.entry(paymentID: "re_3"), nil, "row of the over-refund")
        try expectEqual(try ledger.refundedTotal(of: "pi_cap"), Money(cents: 1000), "refunded total")
        let items = try subject.operatorItems()
        try expectEqual(items.map(\.reference), ["re_3"], "operator item references")
        try expectEqual(items.map(\.reason), ["over-refund"], "operator item reasons")
        try expectEqual(items.map(\.gateway), ["stripe"], "operator item gateways")
        try expect(items.first?.payload.contains("pi_cap") == true, "the item names the payment: \(items)")
        try expectEqual(try ledger.refundedTotal(of: "unknown"), Money(cents: 0), "refunded total of no payment")
    }

    static func compensationCap(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_c", cents: 1000))
        try book(ledger, adjustment("re_c", of: "pi_c", cents: -1000))
        try book(ledger, adjustment("re_c-reversed", of: "pi_c", cents: 1000))
        try expectEqual(try ledger.refundedTotal(of: "pi_c"), Money(cents: 0), "after the reversal")
        // A later refund fits again, and a dispute plus its reinstatement net to zero.
        try book(ledger, adjustment("du_1", of: "pi_c", cents: -1000))
        try book(ledger, adjustment("du_1-reinstated", of: "pi_c", cents: 1000))
        // Giving back more than was taken would create money: it goes to an operator instead.
        let extra = try ledger.apply(LedgerEffect(entries: [adjustment("extra-reinstated", of: "pi_c", cents: 1)]))
        try expectEqual(extra.overRefunds, ["extra-reinstated"], "over-compensations")
        try expect(extra.insertedRows.isEmpty, "an over-compensation was booked")
        try expectEqual(try ledger.entry(paymentID: "extra-reinstated"), nil, "row of the over-compensation")
        try expectEqual(try items(subject, reference: "extra-reinstated"), ["over-compensation"], "operator item")
        // A compensation before anything was taken back is refused the same way.
        try book(ledger, credit("pi_fresh", cents: 500))
        let early = try ledger.apply(LedgerEffect(entries: [adjustment("du_2-reinstated", of: "pi_fresh", cents: 500)]))
        try expectEqual(early.overRefunds, ["du_2-reinstated"], "a compensation with nothing taken back")
        try expectEqual(try items(subject, reference: "du_2-reinstated"), ["over-compensation"], "operator item")
        try expectEqual(try ledger.refundedTotal(of: "pi_fresh"), Money(cents: 0), "refunded total of pi_fresh")
    }

    static func extremeAdjustments(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_edge", cents: 1000))
        try book(ledger, adjustment("re_part", of: "pi_edge", cents: -400))
        let cases: [(String, Int64, String)] = [
            ("re_min", .min, "over-refund"), ("re_max_neg", -.max, "over-refund"),
            ("re_comp-reversed", .max, "over-compensation"),
        ]
        for (paymentID, cents, reason) in cases {
            let outcome = try ledger.apply(LedgerEffect(entries: [adjustment(paymentID, of: "pi_edge", cents: cents)]))
            try expectEqual(outcome.overRefunds, [paymentID], "over-refunds for \(cents)")
            try expectEqual(try ledger.entry(paymentID: paymentID), nil, "row for \(cents)")
            try expectEqual(try items(subject, reference: paymentID), [reason], "operator item for \(cents)")
        }
        try expectEqual(try ledger.refundedTotal(of: "pi_edge"), Money(cents: 400), "refunded total")
    }

    static func foreignAdjustments(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("CAP-PAYPAL-1", uid: "owner", gateway: "paypal"))
        let cases = [
            adjustment("re_uid", of: "CAP-PAYPAL-1", cents: -100, uid: "intruder", gateway: "paypal"),
            adjustment("re_cross", of: "CAP-PAYPAL-1", cents: -100, uid: "owner", gateway: "stripe"),
            adjustment("re_cross-reversed", of: "CAP-PAYPAL-1", cents: 100, uid: "owner", gateway: "stripe"),
        ]
        for (index, entry) in cases.enumerated() {
            let event = WebhookEventRecord(
                gateway: entry.gateway, eventID: "evt_foreign_\(index)", eventType: "refund.created", payload: [],
                headers: [], outcome: "booked")
            try expectLedgerError(.integrity, "adjustment \(entry.paymentID)") {
                try ledger.apply(LedgerEffect(event: event, entries: [entry]))
            }
            try expectEqual(try ledger.entry(paymentID: entry.paymentID), nil, "row of \(entry.paymentID)")
            try expect(
                try !ledger.eventExists(gateway: entry.gateway, eventID: event.eventID), "event of \(entry.paymentID)")
        }
        try expectEqual(try subject.operatorItems().map(\.reference), [], "operator items")
        try expectCounts(subject, rows: 1, events: 0, "rows and events")
        // The same adjustment by the owner through the payment's own gateway is booked.
        try book(ledger, adjustment("re_own", of: "CAP-PAYPAL-1", cents: -100, uid: "owner", gateway: "paypal"))
    }

    /// `payments-sync events replay`: the facts of a stored event settled again hand nothing to an operator twice,
    /// while a first delivery or another reason still does.
    static func replayAddsNoRecordedItem(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_rp", cents: 1000))
        let over = adjustment("re_rp", of: "pi_rp", cents: -1001)
        let note = OperatorItem(gateway: "stripe", reference: "pi_rp", reason: "amount-mismatch", payload: "x")
        let first = try ledger.apply(LedgerEffect(entries: [over], operatorItems: [note]))
        try expectEqual(first.overRefunds, ["re_rp"], "the first over-refund")
        var replay = LedgerEffect(entries: [over], operatorItems: [note])
        replay.isReplay = true
        let again = try ledger.apply(replay)
        try expect(again.overRefunds.isEmpty && again.insertedRows.isEmpty, "a replay reported \(again)")
        try expectEqual(try items(subject, reference: "re_rp"), ["over-refund"], "over-refund items after the replay")
        try expectEqual(try items(subject, reference: "pi_rp"), ["amount-mismatch"], "items after the replay")
        var other = LedgerEffect(operatorItems: [
            OperatorItem(gateway: "stripe", reference: "pi_rp", reason: "non-usd-payment", payload: "y")
        ])
        other.isReplay = true
        _ = try ledger.apply(other)
        try expectEqual(
            try items(subject, reference: "pi_rp").sorted(), ["amount-mismatch", "non-usd-payment"], "another reason")
    }
}

import PaymentsCore

extension LedgerContract {
    static func creditWithEverything(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        let outcome = try ledger.apply(
            LedgerEffect(
                event: event("evt_1"), entries: [credit("pi_1", session: session.id)],
                sessionUpdates: [(session.id, .paid)],
                operatorItems: [OperatorItem(gateway: "stripe", reference: "pi_1", reason: "amount-mismatch")]))
        try expect(!outcome.duplicateEvent, "a first delivery is not a duplicate")
        try expectEqual(outcome.insertedRows.count, 1, "rows inserted")
        try expect(outcome.alreadyPresent.isEmpty && outcome.overRefunds.isEmpty, "clean outcome: \(outcome)")
        guard let entry = try ledger.entry(paymentID: "pi_1") else { throw LedgerContractViolation("pi_1 missing") }
        try expectEqual(entry.id, outcome.insertedRows.first?.id ?? -1, "row id")
        try expectEqual(entry.amount, Money(cents: 1000), "amount")
        try expectEqual(entry.sessionID, session.id, "session id")
        try expectEqual(entry.refundOf, nil, "refund_of of a credit")
        try expect(!entry.isSynced, "a new row is unsynced")
        try expect(try ledger.eventExists(gateway: "stripe", eventID: "evt_1"), "the event is recorded")
        try expect(try !ledger.eventExists(gateway: "paypal", eventID: "evt_1"), "event ids are per gateway")
        try expectEqual(try ledger.session(publicID: session.publicID)?.status, .paid, "session status")
        try expectEqual(try items(subject, reference: "pi_1"), ["amount-mismatch"], "operator items")
        try expectEqual(try ledger.syncBacklog().unsynced, 1, "unsynced rows")
        try expectEqual(try subject.counts().events, 1, "events")
    }

    static func duplicateEventChangesNothing(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        _ = try ledger.apply(LedgerEffect(event: event("evt_dup"), entries: [credit("pi_dup")]))
        let second = try ledger.apply(
            LedgerEffect(
                event: event("evt_dup", payload: "other"), entries: [credit("pi_other")],
                sessionUpdates: [(session.id, .paid)],
                operatorItems: [OperatorItem(gateway: "stripe", reference: "x", reason: "r")]))
        try expectEqual(second, LedgerOutcome(duplicateEvent: true), "outcome of the duplicate")
        try expectEqual(try ledger.entry(paymentID: "pi_other"), nil, "row of the duplicate")
        try expectEqual(try ledger.session(publicID: session.publicID)?.status, .creating, "session of the duplicate")
        try expect(try subject.operatorItems().isEmpty, "operator items of the duplicate")
        try expectCounts(subject, rows: 1, events: 1, "rows and events")
    }

    static func samePaymentIsAlreadyPresent(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        _ = try ledger.apply(LedgerEffect(event: event("evt_a"), entries: [credit("pi_same")]))
        let second = try ledger.apply(LedgerEffect(event: event("evt_b"), entries: [credit("pi_same")]))
        try expect(!second.duplicateEvent && second.insertedRows.isEmpty, "second outcome: \(second)")
        try expectEqual(second.alreadyPresent, ["pi_same"], "already present")
        try expectCounts(subject, rows: 1, events: 2, "rows and events")
        // Without an event the rows still deduplicate.
        let mixed = try ledger.apply(LedgerEffect(entries: [credit("pi_same"), credit("pi_new")]))
        try expectEqual(mixed.alreadyPresent, ["pi_same"], "already present without an event")
        try expectEqual(mixed.insertedRows.count, 1, "new rows without an event")
    }

    static func differingValuesAreIntegrity(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        _ = try ledger.apply(LedgerEffect(event: event("evt_1"), entries: [credit("pi_x", cents: 1000)]))
        for changed in [credit("pi_x", cents: 1001), credit("pi_x", uid: "u2"), credit("pi_x", gateway: "paypal")] {
            try expectLedgerError(.integrity, "pi_x again as \(changed)") {
                try ledger.apply(LedgerEffect(event: event("evt_2"), entries: [credit("pi_new"), changed]))
            }
        }
        try expect(try !ledger.eventExists(gateway: "stripe", eventID: "evt_2"), "the refused event was stored")
        try expectEqual(try ledger.entry(paymentID: "pi_new"), nil, "a row of the refused effect")
        try expectCounts(subject, rows: 1, events: 1, "rows and events")
    }

    static func exactComparisons(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_Case", uid: "User-A"))
        _ = try ledger.apply(LedgerEffect(event: event("evt_Case")))
        try expectEqual(try ledger.entry(paymentID: "PI_CASE"), nil, "payment ids differing in case")
        try expectEqual(try ledger.transactions(uid: "user-a", offset: 0, limit: 10).total, 0, "uids differing in case")
        try expect(try !ledger.eventExists(gateway: "stripe", eventID: "EVT_CASE"), "event ids differing in case")
        // A row whose id differs only in case is another row, not a duplicate.
        try book(ledger, credit("PI_CASE", uid: "User-A"))
        try expectEqual(try ledger.transactions(uid: "User-A", offset: 0, limit: 10).total, 2, "rows of User-A")
        let session = try ledger.createSession(gateway: "stripe", uid: "u", amount: Money(cents: 500), currency: "USD")
        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_Ext", status: .pending)
        try expectEqual(try ledger.session(gateway: "stripe", externalID: "PI_EXT"), nil, "external ids in case")
        try expectEqual(try ledger.session(publicID: session.publicID.uppercased()), nil, "public ids in case")
    }

    static func transactionPaging(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        for index in 1...5 { try book(ledger, credit("pay-\(index)", cents: Int64(index) * 100, uid: "pager")) }
        try book(ledger, credit("someone-else", uid: "other"))
        let first = try ledger.transactions(uid: "pager", offset: 0, limit: 2)
        try expectEqual(first.total, 5, "total")
        try expectEqual(first.rows.map(\.paymentID), ["pay-5", "pay-4"], "first page")
        let last = try ledger.transactions(uid: "pager", offset: 4, limit: 2)
        try expectEqual(last.rows.map(\.paymentID), ["pay-1"], "last page")
        try expectEqual(last.rows.first?.amount, Money(cents: 100), "amount on the last page")
        try expectEqual(try ledger.transactions(uid: "pager", offset: 10, limit: 2).rows.count, 0, "past the end")
        try expectEqual(try ledger.transactions(uid: "nobody", offset: 0, limit: 10).total, 0, "unknown uid")
    }
}

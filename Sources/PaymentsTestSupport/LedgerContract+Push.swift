import PaymentsCore

extension LedgerContract {
    static func rowsComeBackWithIDs(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_old", cents: 2000, uid: "u7", gateway: "paypal"))
        let outcome = try ledger.apply(
            LedgerEffect(
                event: event("evt_rows", gateway: "paypal"),
                entries: [
                    credit("pi_new", cents: 1500, uid: "u7", gateway: "paypal"),
                    adjustment("re_old", of: "pi_old", cents: -700, uid: "u7", gateway: "paypal"),
                ]))
        try expectEqual(outcome.insertedRows.map(\.paymentID), ["pi_new", "re_old"], "rows in the order written")
        for row in outcome.insertedRows {
            guard let stored = try ledger.entry(paymentID: row.paymentID) else {
                throw LedgerContractViolation("\(row.paymentID) is not stored")
            }
            try expectEqual(row.id, stored.id, "\(row.paymentID): id")
            try expectEqual(row.uid, stored.uid, "\(row.paymentID): uid")
            try expectEqual(row.gateway, stored.gateway, "\(row.paymentID): gateway")
            try expectEqual(row.amount, stored.amount, "\(row.paymentID): amount")
            try expectEqual(row.claim, nil, "\(row.paymentID): claim of a row written unclaimed")
        }
        try expectEqual(outcome.insertedRows.map(\.amount), [Money(cents: 1500), Money(cents: -700)], "amounts")
        try expect(outcome.insertedRows[0].id != outcome.insertedRows[1].id, "two rows, two ids")
    }

    static func claimedCreditsUnclaimedRefunds(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_paid", cents: 1000))
        let outcome = try ledger.apply(
            LedgerEffect(
                event: event("evt_claim"),
                entries: [credit("pi_claimed", cents: 900), adjustment("re_paid", of: "pi_paid", cents: -300)]),
            claimingCreditsForPush: true)
        try expectEqual(outcome.insertedRows.map(\.paymentID), ["pi_claimed", "re_paid"], "rows written")
        guard let claim = outcome.insertedRows[0].claim else {
            throw LedgerContractViolation("the credit came back unclaimed: \(outcome.insertedRows[0])")
        }
        try expect(claim.isLive(margin: .seconds(PushClaim.leaseSeconds - 10)), "a fresh claim has its whole lease")
        try expect(
            !claim.isLive(margin: .seconds(PushClaim.leaseSeconds + 1)), "a claim lasts no longer than its lease")
        try expectEqual(try subject.pushClaimToken(paymentID: "pi_claimed"), claim.token, "token written on the credit")
        try expectEqual(outcome.insertedRows[1].claim, nil, "claim of the refund")
        try expectEqual(try subject.pushClaimToken(paymentID: "re_paid"), nil, "token written on the refund")
        try expectEqual(try subject.pushClaimToken(paymentID: "pi_paid"), nil, "token on the refunded payment")
        // Each claiming apply takes a claim of its own.
        let next = try ledger.apply(LedgerEffect(entries: [credit("pi_next")]), claimingCreditsForPush: true)
        try expect(
            next.insertedRows.first?.claim.map { $0.token != claim.token } ?? false,
            "a second claiming apply: \(next.insertedRows)")
    }

    static func nothingClaimedWithoutAsking(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let plain = try ledger.apply(LedgerEffect(event: event("evt_plain"), entries: [credit("pi_plain")]))
        let explicit = try ledger.apply(
            LedgerEffect(event: event("evt_explicit"), entries: [credit("pi_explicit")]), claimingCreditsForPush: false)
        for (name, outcome) in [("pi_plain", plain), ("pi_explicit", explicit)] {
            try expectEqual(outcome.insertedRows.map(\.paymentID), [name], "rows of \(name)")
            try expectEqual(outcome.insertedRows.first?.claim, nil, "claim of \(name)")
            try expectEqual(try subject.pushClaimToken(paymentID: name), nil, "token written on \(name)")
        }
    }

    static func duplicatesReturnNoRows(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        _ = try ledger.apply(LedgerEffect(event: event("evt_once"), entries: [credit("pi_once")]))
        let duplicate = try ledger.apply(
            LedgerEffect(event: event("evt_once"), entries: [credit("pi_once")]), claimingCreditsForPush: true)
        try expectEqual(duplicate, LedgerOutcome(duplicateEvent: true), "outcome of a duplicate event")
        // The same payment under another event is present already: no row comes back, and it is not claimed.
        let again = try ledger.apply(
            LedgerEffect(event: event("evt_other"), entries: [credit("pi_once")]), claimingCreditsForPush: true)
        try expect(again.insertedRows.isEmpty, "rows of a payment present already: \(again.insertedRows)")
        try expectEqual(again.alreadyPresent, ["pi_once"], "already present")
        try expectEqual(try subject.pushClaimToken(paymentID: "pi_once"), nil, "token on the row present already")
        try expectCounts(subject, rows: 1, events: 2, "rows and events")
    }
}

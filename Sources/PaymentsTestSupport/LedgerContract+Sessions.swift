import PaymentsCore

extension LedgerContract {
    static func sessionRules(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let session = try ledger.createSession(
            gateway: "stripe", uid: "User-A", amount: Money(cents: 1999), currency: "USD")
        try expectEqual(session.status, .creating, "a new session's status")
        try expectEqual(session.externalID, nil, "a new session's external id")
        try expectEqual(session.amount, Money(cents: 1999), "a new session's amount")
        try expect(isUUIDv4(session.publicID), "public_id \(session.publicID) is no lowercase UUIDv4")
        let other = try ledger.createSession(
            gateway: "stripe", uid: "User-A", amount: Money(cents: 1999), currency: "USD")
        try expect(other.publicID != session.publicID && other.id != session.id, "two sessions share an id")
        try expectEqual(try ledger.session(publicID: session.publicID), session, "the stored session")

        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_123", status: .pending)
        let attached = try ledger.session(gateway: "stripe", externalID: "pi_123")
        try expectEqual(attached?.id, session.id, "session by external id")
        try expectEqual(attached?.status, .pending, "status after attaching")
        try expectEqual(try ledger.session(gateway: "paypal", externalID: "pi_123"), nil, "another gateway's id")

        // The same id again changes nothing; another id, or the id another session holds, is refused.
        try ledger.attachExternalID(sessionID: session.id, externalID: "pi_123", status: .review)
        try expectEqual(try ledger.session(publicID: session.publicID)?.status, .pending, "status after a repeat")
        try expectLedgerError(.integrity, "a second external id") {
            try ledger.attachExternalID(sessionID: session.id, externalID: "pi_999", status: .pending)
        }
        try expectEqual(try ledger.session(gateway: "stripe", externalID: "pi_999"), nil, "the refused id")
        try expectLedgerError(.integrity, "an external id another session holds") {
            try ledger.attachExternalID(sessionID: other.id, externalID: "pi_123", status: .pending)
        }
        try expectEqual(try ledger.session(publicID: other.publicID)?.externalID, nil, "the refused session")
        // External ids are unique per gateway only.
        let paypal = try ledger.createSession(
            gateway: "paypal", uid: "User-A", amount: Money(cents: 500), currency: "USD")
        try ledger.attachExternalID(sessionID: paypal.id, externalID: "pi_123", status: .pending)
        try expectEqual(try ledger.session(gateway: "paypal", externalID: "pi_123")?.id, paypal.id, "paypal's pi_123")

        // Only a `creating` session takes an external id.
        try ledger.updateSessionStatus(sessionID: other.id, status: .failed)
        try expectEqual(try ledger.session(publicID: other.publicID)?.status, .failed, "status update")
        try expectLedgerError(.integrity, "an external id for a failed session") {
            try ledger.attachExternalID(sessionID: other.id, externalID: "pi_late", status: .pending)
        }
        try expectEqual(try ledger.session(publicID: other.publicID)?.status, .failed, "the failed session")
        try expectLedgerError(.failed, "an external id for no session") {
            try ledger.attachExternalID(sessionID: 987_654_321, externalID: "pi_none", status: .pending)
        }

        // Status changes of sessions that do not exist change nothing and are not errors.
        try ledger.updateSessionStatus(sessionID: 987_654_321, status: .paid)
        let outcome = try ledger.apply(LedgerEffect(sessionUpdates: [(987_654_322, .paid)]))
        try expectEqual(outcome, LedgerOutcome(), "an effect updating no session")
        try expectEqual(try ledger.session(publicID: "00000000-0000-4000-8000-000000000000"), nil, "an unknown id")
    }

    /// A lowercase `8-4-4-4-12` version-4, variant-1 UUID.
    static func isUUIDv4(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 36 else { return false }
        for (index, character) in characters.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard character == "-" else { return false }
            } else if !"0123456789abcdef".contains(character) {
                return false
            }
        }
        return characters[14] == "4" && "89ab".contains(characters[19])
    }
}

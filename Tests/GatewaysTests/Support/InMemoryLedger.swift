import PaymentsCore

/// A Ledger held in memory with the same rules as the MariaDB one, for gateway unit tests.
final class InMemoryLedger: Ledger, @unchecked Sendable {
    // Used from one test thread at a time; unchecked because tests hand it to a RequestContext.
    var sessions: [PaymentSession] = []
    var rows: [StoredLedgerEntry] = []
    var events: [String: WebhookEventRecord] = [:]
    var operatorItems: [OperatorItem] = []
    private var nextID: Int64 = 1

    func createSession(gateway: String, uid: String, amount: Money, currency: String) throws -> PaymentSession {
        defer { nextID += 1 }
        let session = PaymentSession(
            id: nextID, publicID: "00000000-0000-4000-8000-\(String(nextID).leftPadded(12))", gateway: gateway,
            externalID: nil,
            uid: uid, amount: amount, currency: currency, status: .creating, createdAt: 1_700_000_000)
        sessions.append(session)
        return session
    }

    func attachExternalID(sessionID: Int64, externalID: String, status: SessionStatus) throws {
        guard let index = sessions.firstIndex(where: { $0.id == sessionID }) else {
            throw LedgerError(.failed, "no session")
        }
        sessions[index].externalID = externalID
        sessions[index].status = status
    }

    func updateSessionStatus(sessionID: Int64, status: SessionStatus) throws {
        guard let index = sessions.firstIndex(where: { $0.id == sessionID }) else {
            throw LedgerError(.failed, "no session")
        }
        sessions[index].status = status
    }

    func session(publicID: String) throws -> PaymentSession? { sessions.first { $0.publicID == publicID } }

    func session(gateway: String, externalID: String) throws -> PaymentSession? {
        sessions.first { $0.gateway == gateway && $0.externalID == externalID }
    }

    func apply(_ effect: LedgerEffect) throws -> LedgerOutcome {
        if let event = effect.event, events["\(event.gateway)|\(event.eventID)"] != nil {
            return LedgerOutcome(duplicateEvent: true)
        }
        var outcome = LedgerOutcome()
        var staged = rows
        var stagedItems = operatorItems
        for entry in effect.entries {
            if let existing = staged.first(where: { $0.paymentID == entry.paymentID }) {
                guard existing.gateway == entry.gateway, existing.uid == entry.uid, existing.amount == entry.amount
                else {
                    throw LedgerError(.integrity, "payment_id \(entry.paymentID) differs")
                }
                outcome.alreadyPresent.append(entry.paymentID)
                continue
            }
            var refundOf: Int64?
            if let target = entry.refundOf {
                guard let original = staged.first(where: { $0.paymentID == target }) else {
                    throw LedgerError(.refundTargetMissing, "no \(target)")
                }
                guard original.uid == entry.uid, original.gateway == entry.gateway else {
                    throw LedgerError(.integrity, "\(entry.paymentID) names another uid or gateway than \(target)")
                }
                let net =
                    staged.filter { $0.refundOf == original.id }.reduce(0) { $0 + $1.amount.cents } + entry.amount.cents
                if -net > original.amount.cents {
                    stagedItems.append(
                        OperatorItem(gateway: entry.gateway, reference: entry.paymentID, reason: "over-refund"))
                    outcome.overRefunds.append(entry.paymentID)
                    continue
                }
                refundOf = original.id
            }
            let row = StoredLedgerEntry(
                id: nextID, paymentID: entry.paymentID, uid: entry.uid, gateway: entry.gateway, amount: entry.amount,
                sessionID: entry.sessionID, refundOf: refundOf, isSynced: false, createdAt: 1_700_000_000 + nextID)
            nextID += 1
            staged.append(row)
            outcome.insertedRowIDs.append(row.id)
        }
        for update in effect.sessionUpdates {
            if let index = sessions.firstIndex(where: { $0.id == update.sessionID }) {
                sessions[index].status = update.status
            }
        }
        rows = staged
        operatorItems = stagedItems + effect.operatorItems
        if let event = effect.event { events["\(event.gateway)|\(event.eventID)"] = event }
        return outcome
    }

    func eventExists(gateway: String, eventID: String) throws -> Bool { events["\(gateway)|\(eventID)"] != nil }

    func entry(paymentID: String) throws -> StoredLedgerEntry? { rows.first { $0.paymentID == paymentID } }

    func refundedTotal(of paymentID: String) throws -> Money {
        guard let original = rows.first(where: { $0.paymentID == paymentID }) else { return Money(cents: 0) }
        return Money(cents: -rows.filter { $0.refundOf == original.id }.reduce(0) { $0 + $1.amount.cents })
    }

    func transactions(uid: String, offset: Int, limit: Int) throws -> (rows: [StoredLedgerEntry], total: Int) {
        let mine = rows.filter { $0.uid == uid }.sorted { $0.id > $1.id }
        return (Array(mine.dropFirst(offset).prefix(limit)), mine.count)
    }

    func syncBacklog() throws -> (unsynced: Int, oldestSeconds: Int) { (rows.filter { !$0.isSynced }.count, 0) }

    func ping() throws {}
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

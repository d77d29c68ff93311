import PaymentsCore

/// What an `InMemoryLedgerStore` holds; changed only under its lock.
struct InMemoryLedgerState: Sendable {
    /// A failure `apply` will report instead of (or, for a committed unknown outcome, after) doing its work.
    struct InjectedFailure: Sendable {
        let kind: LedgerError.Kind
        let committed: Bool
    }

    var sessions: [PaymentSession] = []
    var rows: [StoredLedgerEntry] = []
    var events: [String: WebhookEventRecord] = [:]
    var operatorItems: [OperatorItem] = []
    /// The push claim token each claimed row was written with, by row id (`sync_claim_token`).
    var pushClaims: [Int64: Int64] = [:]
    var injected: [InjectedFailure] = []
    var applyCalls = 0
    private var nextID: Int64 = 1

    /// A fresh id, shared by sessions and rows (like AUTO_INCREMENT, never reused).
    mutating func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// The net of the adjustments (refunds negative, compensations positive) of the row `id`, saturating.
    func adjustments(of id: Int64) -> Int64 {
        rows.filter { $0.refundOf == id }.reduce(Int64(0)) { Saturating.add($0, $1.amount.cents) }
    }

    /// Applies one effect atomically, with MariaDBLedger's rules (see `MariaDBLedger.apply`): the effect is worked
    /// out on a copy and the copy replaces the state only when everything succeeded. Credits are written under
    /// `claim` when one is given.
    mutating func apply(_ effect: LedgerEffect, claim: PushClaim?) throws(LedgerError) -> LedgerOutcome {
        applyCalls += 1
        let failure = injected.isEmpty ? nil : injected.removeFirst()
        if let failure, !(failure.kind == .unknownOutcome && failure.committed) {
            throw LedgerError(failure.kind, "injected by the test")
        }
        var draft = self
        let outcome = try draft.work(effect, claim: claim)
        if !outcome.duplicateEvent { self = draft }
        if let failure { throw LedgerError(failure.kind, "injected by the test after the effect was committed") }
        return outcome
    }

    private mutating func work(_ effect: LedgerEffect, claim: PushClaim?) throws(LedgerError) -> LedgerOutcome {
        if let event = effect.event {
            let key = InMemoryLedgerStore.eventKey(event.gateway, event.eventID)
            if events[key] != nil { return LedgerOutcome(duplicateEvent: true) }
            var stored = event
            stored.outcome = String(event.outcome.prefix(64))
            events[key] = stored
        }
        var outcome = LedgerOutcome()
        for entry in effect.entries {
            if let target = entry.refundOf {
                try applyAdjustment(entry, refundOf: target, replay: effect.isReplay, &outcome)
            } else if let sessionID = entry.sessionID,
                rows.contains(where: {
                    $0.sessionID == sessionID && $0.refundOf == nil && $0.paymentID != entry.paymentID
                })
            {
                let item = OperatorItem(
                    gateway: entry.gateway, reference: entry.paymentID, reason: "second-payment",
                    payload: "session=\(sessionID) amount=\(entry.amount.cents)")
                if addItem(item, unlessRecorded: effect.isReplay) { outcome.secondPayments.append(entry.paymentID) }
            } else if let id = try insert(entry, refundOfRowID: nil, &outcome) {
                if let claim { pushClaims[id] = claim.token }
                outcome.insertedRows.append(InsertedRow(entry, id: id, claim: claim))
            }
        }
        for update in effect.sessionUpdates {
            if let index = sessions.firstIndex(where: { $0.id == update.sessionID }) {
                sessions[index].status = update.status
            }
        }
        for item in effect.operatorItems { addItem(item, unlessRecorded: effect.isReplay) }
        return outcome
    }

    /// A row with `refundOf`, checked and capped by the same `AdjustmentRules` as MariaDBLedger.
    private mutating func applyAdjustment(
        _ entry: LedgerEntry, refundOf: String, replay: Bool, _ outcome: inout LedgerOutcome
    ) throws(LedgerError) {
        guard let original = rows.first(where: { $0.paymentID == refundOf }) else {
            throw LedgerError(.refundTargetMissing, "payment \(refundOf) is not in the ledger yet")
        }
        try AdjustmentRules.checkTarget(
            entry, refundOf: refundOf, paymentUID: original.uid, paymentGateway: original.gateway)
        if let existing = rows.first(where: { $0.paymentID == entry.paymentID }) {
            try requireSame(existing, as: entry)
            outcome.alreadyPresent.append(entry.paymentID)
            return
        }
        let net = adjustments(of: original.id)
        if let reason = AdjustmentRules.capViolation(
            adjustedBefore: net, amount: entry.amount.cents, paymentAmount: original.amount.cents)
        {
            let payload = "refund_of=\(refundOf) amount=\(entry.amount.cents) before=\(net) of=\(original.amount.cents)"
            let item = OperatorItem(
                gateway: entry.gateway, reference: entry.paymentID, reason: reason, payload: payload)
            if addItem(item, unlessRecorded: replay) { outcome.overRefunds.append(entry.paymentID) }
            return
        }
        if let id = try insert(entry, refundOfRowID: original.id, &outcome) {
            outcome.insertedRows.append(InsertedRow(entry, id: id))
        }
    }

    /// Inserts a row; a `payment_id` that exists is checked and reported instead (nil is returned).
    private mutating func insert(_ entry: LedgerEntry, refundOfRowID: Int64?, _ outcome: inout LedgerOutcome)
        throws(LedgerError) -> Int64?
    {
        if let existing = rows.first(where: { $0.paymentID == entry.paymentID }) {
            try requireSame(existing, as: entry)
            outcome.alreadyPresent.append(entry.paymentID)
            return nil
        }
        let id = takeID()
        rows.append(
            StoredLedgerEntry(
                id: id, paymentID: entry.paymentID, uid: entry.uid, gateway: entry.gateway, amount: entry.amount,
                sessionID: entry.sessionID, refundOf: refundOfRowID, isSynced: false,
                createdAt: InMemoryLedgerStore.now()))
        return id
    }

    private func requireSame(_ existing: StoredLedgerEntry, as entry: LedgerEntry) throws(LedgerError) {
        guard existing.gateway == entry.gateway, existing.uid == entry.uid, existing.amount == entry.amount else {
            throw LedgerError(.integrity, "payment_id \(entry.paymentID) is stored with another gateway, uid or amount")
        }
    }

    /// Adds an item; with `unlessRecorded` (a replay) only when none with its gateway, reference and reason exists.
    @discardableResult
    private mutating func addItem(_ item: OperatorItem, unlessRecorded: Bool = false) -> Bool {
        var stored = item
        stored.reason = String(item.reason.prefix(64))
        if unlessRecorded,
            operatorItems.contains(where: {
                $0.gateway == stored.gateway && $0.reference == stored.reference && $0.reason == stored.reason
            })
        {
            return false
        }
        operatorItems.append(stored)
        return true
    }
}

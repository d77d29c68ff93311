import MariaDB
import PaymentsCore

extension MariaDBLedger {
    /// Applies one confirmation in a single transaction: event row, ledger rows (refund cap checked under a row
    /// lock on the refunded payment), session updates and operator items (DESIGN §1.2, §1.5).
    ///
    /// A duplicate event id (a concurrent duplicate waits on the unique key until the first commits) rolls back
    /// and answers `duplicateEvent`. A `payment_id` already stored with the same gateway, uid and amount is
    /// reported in `alreadyPresent`; with other values it is `LedgerError(.integrity)`. A refund whose payment
    /// is missing is `LedgerError(.refundTargetMissing)`. With `claimingCreditsForPush` every credit inserted is
    /// written under one new `PushClaim` (taken before the transaction, so its lease is never longer than the one
    /// written) and returned with it.
    /// The commonest effect (a recorded event, one credit, at most one session update) takes one round trip: the
    /// `tn_confirm_credit` procedure does exactly what the statements below do for it, as one transaction; with a
    /// `creditGroup`, concurrent ones share a transaction (`tn_confirm_credits`), each with its own outcome.
    public func apply(_ effect: LedgerEffect, claimingCreditsForPush: Bool) throws(LedgerError) -> LedgerOutcome {
        let claim = claimingCreditsForPush ? PushClaim.begin() : nil
        if let confirmation = CreditConfirmation(effect, claim: claim) {
            if let creditGroup { return try creditGroup.confirm(confirmation, for: self) }
            return try database.procedure(confirmation.apply)
        }
        return try database.transaction { connection throws -> TransactionEnd<LedgerOutcome> in
            if let event = effect.event {
                do {
                    try insertEvent(event, connection)
                } catch let error as MariaDBError where error.isDuplicateKey {
                    return .rollback(LedgerOutcome(duplicateEvent: true))
                }
            }
            var outcome = LedgerOutcome()
            for entry in effect.entries {
                if let refundOf = entry.refundOf {
                    try applyAdjustment(entry, refundOf: refundOf, replay: effect.isReplay, connection, &outcome)
                } else if try isSecondPayment(entry, connection) {
                    let item = OperatorItem(
                        gateway: entry.gateway, reference: entry.paymentID, reason: "second-payment",
                        payload: "session=\(entry.sessionID ?? 0) amount=\(entry.amount.cents)")
                    if try insertOperatorItem(item, connection, unlessRecorded: effect.isReplay) {
                        outcome.secondPayments.append(entry.paymentID)
                    }
                } else if let row = try insertEntry(entry, refundOfRowID: nil, claim: claim, connection, &outcome) {
                    outcome.insertedRows.append(row)
                }
            }
            for update in effect.sessionUpdates {
                try connection.execute(
                    "UPDATE payment_sessions SET status = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                    [.text(update.status.rawValue), .int(update.sessionID)])
            }
            for item in effect.operatorItems {
                try insertOperatorItem(item, connection, unlessRecorded: effect.isReplay)
            }
            return .commit(outcome)
        }
    }

    /// Books a named credit in a group-commit batch (`CreditBatchInsert`), which reads and locks its session in the
    /// same transaction; nil without a credit group (`payments-sync`, tests) or when the batch wrote nothing for it.
    public func apply(_ credit: NamedSessionCredit, claimingCreditsForPush: Bool) throws(LedgerError) -> (
        effect: LedgerEffect, outcome: LedgerOutcome
    )? {
        guard let creditGroup else { return nil }
        let claim = claimingCreditsForPush ? PushClaim.begin() : nil
        let outcome = try creditGroup.confirm(CreditConfirmation(credit, claim: claim), for: self)
        guard let sessionID = outcome.insertedRows.first?.sessionID else { return nil }
        return (credit.effect(sessionID: sessionID), outcome)
    }

    /// Applies the effects as the group commit does one batch: those of the commonest shape in one transaction
    /// (`tn_confirm_credits`), each with its own outcome, the others one by one; one answer per effect, in order.
    /// Public so that a batch's behaviour can be checked on its own, without racing threads into one.
    public func apply(together effects: [LedgerEffect], claimingCreditsForPush: Bool)
        -> [Result<LedgerOutcome, LedgerError>]
    {
        var answers = [Result<LedgerOutcome, LedgerError>?](repeating: nil, count: effects.count)
        var batched: [(index: Int, confirmation: CreditConfirmation)] = []
        for (index, effect) in effects.enumerated() {
            let claim = claimingCreditsForPush ? PushClaim.begin() : nil
            if let confirmation = CreditConfirmation(effect, claim: claim) {
                batched.append((index, confirmation))
            } else {
                answers[index] = Result { () throws(LedgerError) in
                    try apply(effect, claimingCreditsForPush: claimingCreditsForPush)
                }
            }
        }
        let batchAnswers = CreditBatch.split(batched.map(\.confirmation)).flatMap { $0.apply(database) }
        for (member, answer) in zip(batched, batchAnswers) { answers[member.index] = answer }
        return answers.map { $0 ?? .failure(LedgerError(.failed, "no answer")) }
    }

    /// Whether a credit's session already holds a credit under another `payment_id`. The session row is locked
    /// first, so two different payments for one session arriving at once are decided one after the other.
    private func isSecondPayment(_ entry: LedgerEntry, _ connection: Connection) throws -> Bool {
        guard let sessionID = entry.sessionID else { return false }
        let row = try connection.queryOne(
            """
            SELECT (SELECT payment_id FROM tn_payments WHERE session_id = s.id AND refund_of IS NULL \
            AND payment_id <> ? LIMIT 1) FROM payment_sessions s WHERE s.id = ? FOR UPDATE
            """, [.text(entry.paymentID), .int(sessionID)])
        return try row?.optionalString(0) != nil
    }

    private func insertEvent(_ event: WebhookEventRecord, _ connection: Connection) throws(MariaDBError) {
        try connection.execute(
            """
            INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, \
            outcome) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)
            """,
            [
                .text(event.gateway), .text(event.eventID), .text(event.eventType), .bytes(event.payload),
                .text(event.headersJSON), .text(String(event.outcome.prefix(64))),
            ])
    }

    /// A row with `refundOf`: a refund/dispute (negative) or a compensation (positive), capped by its payment.
    ///
    /// The payment must belong to the same uid and the same gateway: an adjustment arriving through one gateway
    /// never touches another gateway's payment (`.integrity`, nothing written). Sums that would leave Int64 count
    /// as over the cap, so no amount can trap.
    private func applyAdjustment(
        _ entry: LedgerEntry, refundOf: String, replay: Bool, _ connection: Connection,
        _ outcome: inout LedgerOutcome
    ) throws {
        // Locking the refunded payment serialises every adjustment of it, so the cap below cannot race.
        guard
            let original = try connection.queryOne(
                "SELECT id, amount, uid, gateway FROM tn_payments WHERE payment_id = ? FOR UPDATE", [.text(refundOf)])
        else {
            throw LedgerError(.refundTargetMissing, "payment \(refundOf) is not in the ledger yet")
        }
        let originalID = try original.int64(0)
        let originalAmount = try original.int64(1)
        try AdjustmentRules.checkTarget(
            entry, refundOf: refundOf, paymentUID: try original.string(2), paymentGateway: try original.string(3))
        if let existing = try connection.queryOne(
            "SELECT gateway, uid, amount FROM tn_payments WHERE payment_id = ?", [.text(entry.paymentID)])
        {
            try requireSame(existing, as: entry)
            outcome.alreadyPresent.append(entry.paymentID)
            return
        }
        let netRow = try connection.queryOne(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM tn_payments WHERE refund_of = ?", [.int(originalID)])
        let net = try netRow?.int64(0) ?? 0
        if let reason = AdjustmentRules.capViolation(
            adjustedBefore: net, amount: entry.amount.cents, paymentAmount: originalAmount)
        {
            let payload = JSONValue.object([
                ("payment_id", .string(entry.paymentID)), ("refund_of", .string(refundOf)),
                ("amount", .int(entry.amount.cents)), ("adjusted_before", .int(net)),
                ("payment_amount", .int(originalAmount)),
            ]).serialized()
            let item = OperatorItem(
                gateway: entry.gateway, reference: entry.paymentID, reason: reason, payload: payload)
            if try insertOperatorItem(item, connection, unlessRecorded: replay) {
                outcome.overRefunds.append(entry.paymentID)
            }
            return
        }
        if let row = try insertEntry(entry, refundOfRowID: originalID, claim: nil, connection, &outcome) {
            outcome.insertedRows.append(row)
        }
    }

    /// Inserts a ledger row and returns it; a `payment_id` that exists is checked and reported instead (nil is
    /// returned, and the existing row is not claimed).
    ///
    /// With a `claim` the row is written already claimed (`sync_claimed_until` = now + the claim lease and the
    /// claim's token, DESIGN §7) in this same transaction, so the responder's push thread can push it without a
    /// claim transaction of its own; no other pusher can take it until the outcome is recorded or the lease expires.
    private func insertEntry(
        _ entry: LedgerEntry, refundOfRowID: Int64?, claim: PushClaim?, _ connection: Connection,
        _ outcome: inout LedgerOutcome
    ) throws -> InsertedRow? {
        do {
            let result = try connection.execute(
                """
                INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, \
                refund_of, sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token) \
                VALUES (?, ?, ?, ?, 0, UTC_TIMESTAMP(6), ?, ?, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, \
                UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)
                """,
                [
                    .text(entry.paymentID), .text(entry.uid), .text(entry.gateway), .int(entry.amount.cents),
                    SQLValue(entry.sessionID), SQLValue(refundOfRowID),
                    claim == nil ? .null : SQLValue(PushClaim.leaseSeconds), SQLValue(claim?.token),
                ])
            return InsertedRow(entry, id: result.lastInsertID, claim: claim)
        } catch let error where error.isDuplicateKey {
            guard
                let existing = try connection.queryOne(
                    "SELECT gateway, uid, amount FROM tn_payments WHERE payment_id = ?", [.text(entry.paymentID)])
            else { throw LedgerError(.failed, "duplicate key on tn_payments without a payment_id match", cause: error) }
            try requireSame(existing, as: entry)
            outcome.alreadyPresent.append(entry.paymentID)
            return nil
        }
    }

    /// Throws `.integrity` unless a stored (gateway, uid, amount) row matches the entry.
    private func requireSame(_ existing: Row, as entry: LedgerEntry) throws {
        let same =
            try existing.string(0) == entry.gateway && existing.string(1) == entry.uid
            && existing.int64(2) == entry.amount.cents
        if !same {
            throw LedgerError(.integrity, "payment_id \(entry.paymentID) is stored with another gateway, uid or amount")
        }
    }

    /// Adds an operator item; with `unlessRecorded` (a replay) only when none with its gateway, reference and reason
    /// exists. Returns whether it was added.
    @discardableResult
    private func insertOperatorItem(_ item: OperatorItem, _ connection: Connection, unlessRecorded: Bool = false)
        throws(MariaDBError) -> Bool
    {
        let reason = String(item.reason.prefix(64))
        guard unlessRecorded else {
            try connection.execute(
                """
                INSERT INTO operator_items (gateway, reference, reason, payload, created_at) \
                VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
                """, [.text(item.gateway), .text(item.reference), .text(reason), .text(item.payload)])
            return true
        }
        return try connection.execute(
            """
            INSERT INTO operator_items (gateway, reference, reason, payload, created_at) \
            SELECT ?, ?, ?, ?, UTC_TIMESTAMP(6) FROM DUAL WHERE NOT EXISTS \
            (SELECT 1 FROM operator_items WHERE gateway = ? AND reference = ? AND reason = ?)
            """,
            [
                .text(item.gateway), .text(item.reference), .text(reason), .text(item.payload), .text(item.gateway),
                .text(item.reference), .text(reason),
            ]
        ).affectedRows == 1
    }
}

extension WebhookEventRecord {
    /// The signature headers as the JSON object stored in `webhook_events.headers`.
    var headersJSON: String { JSONValue.object(headers.map { ($0.0, JSONValue.string($0.1)) }).serialized() }
}

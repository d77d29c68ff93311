import MariaDB
import PaymentsCore

/// Several `CreditConfirmation`s confirmed in one transaction: when every credit is new, as a few multi-row
/// statements (`CreditBatchInsert`); else in one round trip, `CALL tn_confirm_credits(?)` (sql/0009), whose one
/// parameter packs every item and whose one result row answers each.
///
/// Each item keeps its own answer (a duplicate, a second payment or an integrity refusal of one item changes
/// nothing for the others). When the CALL fails with an error that is not a deadlock (which reruns it, see
/// `DatabaseSession.procedure`) nor a lost or unknown outcome, the procedure rolled the whole batch back: each item
/// is then confirmed alone, so only the item at fault fails. A lost connection or an unknown COMMIT outcome is every
/// item's answer: none of them may be confirmed again here (the gateways' retries go through the unique keys).
///
/// A named credit (`CreditConfirmation.named`) is written only by the set-based path: when that path does not write
/// the batch, the named credits' answer is an empty outcome (nothing written; their webhooks read their sessions and
/// settle as usual) and the others take the procedure.
struct CreditBatch {
    static let sql = "CALL tn_confirm_credits(?)"
    /// Packed bytes per batch at most, far below MariaDB's `max_allowed_packet` (16 MiB by default; a larger packet
    /// would cost the connection): a larger group is split, and a credit larger than this goes alone.
    static let byteLimit = 1 << 20

    let confirmations: [CreditConfirmation]

    /// `confirmations` in order, as batches of at most `byteLimit` packed bytes each.
    static func split(_ confirmations: [CreditConfirmation], byteLimit: Int = byteLimit) -> [CreditBatch] {
        var batches: [CreditBatch] = []
        var current: [CreditConfirmation] = []
        var size = 0
        for confirmation in confirmations {
            let itemSize = confirmation.packedSizeEstimate
            if !current.isEmpty && size + itemSize > byteLimit {
                batches.append(CreditBatch(confirmations: current))
                current = []
                size = 0
            }
            current.append(confirmation)
            size += itemSize
        }
        if !current.isEmpty { batches.append(CreditBatch(confirmations: current)) }
        return batches
    }

    /// One answer per confirmation, in order.
    /// - Parameter fallbacks: counts a batch of two or more, or a lone named credit, that the set-based path did not
    ///   write.
    func apply(_ database: DatabaseSession, fallbacks: Metrics.Counter? = nil) -> [Result<LedgerOutcome, LedgerError>] {
        if confirmations.isEmpty { return [] }
        if confirmations.count == 1, confirmations[0].named == nil {
            return [Result { () throws(LedgerError) in try database.procedure(confirmations[0].apply) }]
        }
        // In event-id order, so two batches holding the same two events lock them in the same order (the second
        // waits instead of deadlocking with the first); the answers go back to the submitters' order below.
        let order = confirmations.indices.sorted { left, right in
            let (a, b) = (confirmations[left].event, confirmations[right].event)
            return (a.gateway, a.eventID) < (b.gateway, b.eventID)
        }
        let sorted = CreditBatch(confirmations: order.map { confirmations[$0] })
        if let together = CreditBatchInsert(sorted.confirmations) {
            do {
                if let rows = try together.apply(database) {
                    let inserted = zip(sorted.confirmations, rows).map { confirmation, row in
                        Result { () throws(LedgerError) in
                            try confirmation.outcome(answer: "inserted", rowID: row.rowID, sessionID: row.sessionID)
                        }
                    }
                    return Self.inSubmittersOrder(inserted, order: order)
                }
            } catch  where error.kind == .failed {
                // Refused for another reason than a credit that is not new: the procedure finds the item at fault.
            } catch {
                return confirmations.map { _ in .failure(error) }
            }
        }
        fallbacks?.increment()
        let unnamed = sorted.confirmations.indices.filter { sorted.confirmations[$0].named == nil }
        if unnamed.isEmpty { return confirmations.map { _ in .success(LedgerOutcome()) } }
        if unnamed.count < sorted.confirmations.count {
            // Nothing written for the named credits; the others take the procedure on their own.
            let others = CreditBatch(confirmations: unnamed.map { sorted.confirmations[$0] }).apply(database)
            var answers = sorted.confirmations.map { _ in Result<LedgerOutcome, LedgerError>.success(LedgerOutcome()) }
            for (position, answer) in zip(unnamed, others) { answers[position] = answer }
            return Self.inSubmittersOrder(answers, order: order)
        }
        let items = sorted.packedItems()
        let results: [UInt8]
        do {
            results = try database.procedure { connection in
                guard let row = try connection.call(Self.sql, [.bytes(items)]).first else {
                    throw LedgerError(.failed, "tn_confirm_credits answered no row")
                }
                return try row.bytes(0)
            }
        } catch  where error.kind == .failed {
            return confirmations.map { confirmation in
                Result { () throws(LedgerError) in try database.procedure(confirmation.apply) }
            }
        } catch {
            return confirmations.map { _ in .failure(error) }
        }
        return Self.inSubmittersOrder(sorted.answers(results), order: order)
    }

    /// `sortedAnswers[k]` answers the confirmation at `order[k]`: the answers back in the submitters' order.
    private static func inSubmittersOrder(
        _ sortedAnswers: [Result<LedgerOutcome, LedgerError>], order: [Int]
    ) -> [Result<LedgerOutcome, LedgerError>] {
        var answers = [Result<LedgerOutcome, LedgerError>](
            repeating: .failure(LedgerError(.failed, "tn_confirm_credits gave no answer")), count: order.count)
        for (position, answer) in zip(order, sortedAnswers) { answers[position] = answer }
        return answers
    }

    /// The items as sql/0009 reads them: each parameter as `<byte length>:<bytes>`, `-1:` for NULL.
    func packedItems() -> [UInt8] {
        var items: [UInt8] = []
        items.reserveCapacity(confirmations.reduce(0) { $0 + $1.packedSizeEstimate })
        for confirmation in confirmations {
            for parameter in confirmation.parameters {
                switch parameter {
                case .null:
                    items.append(contentsOf: "-1:".utf8)
                case .int(let value):
                    Self.append(Array(String(value).utf8), to: &items)
                case .text(let text):
                    Self.append(Array(text.utf8), to: &items)
                case .bytes(let bytes):
                    Self.append(bytes, to: &items)
                case .double, .datetime:
                    // No parameter of tn_confirm_credit has these types.
                    Self.append(Array("\(parameter)".utf8), to: &items)
                }
            }
        }
        return items
    }

    private static func append(_ value: [UInt8], to items: inout [UInt8]) {
        items.append(contentsOf: String(value.count).utf8)
        items.append(UInt8(ascii: ":"))
        items.append(contentsOf: value)
    }

    /// Reads `<answer> <row id or 0>;` per item; an answer missing or unreadable is `.failed` for its item (the
    /// batch committed: the item must not be confirmed again, its gateway's retry finds it).
    func answers(_ results: [UInt8]) -> [Result<LedgerOutcome, LedgerError>] {
        let entries = results.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true)
        return confirmations.enumerated().map { index, confirmation in
            guard index < entries.count else {
                return .failure(LedgerError(.failed, "tn_confirm_credits gave no answer for item \(index)"))
            }
            let fields = entries[index].split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let rowID = Int64(String(decoding: fields[1], as: UTF8.self)) else {
                return .failure(LedgerError(.failed, "tn_confirm_credits answered '\(entries[index])'"))
            }
            let answer = String(decoding: fields[0], as: UTF8.self)
            return Result { () throws(LedgerError) in
                try confirmation.outcome(answer: answer, rowID: rowID == 0 ? nil : rowID)
            }
        }
    }
}

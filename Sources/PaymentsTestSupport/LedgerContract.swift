import PaymentsCore

/// The behaviour every `Ledger` must show, written once and run against each implementation (the MariaDB ledger in
/// MariaDBTests, the in-memory one in GatewaysTests), so that a test double cannot let through what the real store
/// refuses (STYLE: "the in-memory Ledger and the MariaDB Ledger pass the same contract tests").
///
/// Each check gets a fresh subject and throws `LedgerContractViolation` at the first broken rule.
public enum LedgerContract {
    /// One named rule.
    public struct Check: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (any LedgerContractSubject) throws -> Void

        /// Runs the check against `subject`.
        public func run(on subject: any LedgerContractSubject) throws { try body(subject) }

        public var description: String { name }
    }

    /// Every check, for `@Test(arguments:)`.
    public static let checks: [Check] = [
        Check(name: "a credit is applied with its event, session update and operator item", body: creditWithEverything),
        Check(name: "a duplicate event changes nothing", body: duplicateEventChangesNothing),
        Check(name: "the same payment from another event is already present", body: samePaymentIsAlreadyPresent),
        Check(name: "a payment_id with other values is an integrity error", body: differingValuesAreIntegrity),
        Check(name: "a refund before its payment is refundTargetMissing", body: refundBeforePayment),
        Check(name: "refunds up to the payment, then over-refunds to an operator", body: refundCap),
        Check(name: "compensations give back at most what was taken", body: compensationCap),
        Check(name: "adjustments at the edges of Int64 go to an operator", body: extremeAdjustments),
        Check(name: "an adjustment for another uid or gateway is an integrity error", body: foreignAdjustments),
        Check(name: "sessions: creation and the external-id rules", body: sessionRules),
        Check(name: "ids, uids and event ids are compared exactly", body: exactComparisons),
        Check(name: "transactions are paged newest first", body: transactionPaging),
        Check(name: "a failed apply leaves nothing behind", body: failedApplyLeavesNothing),
        Check(name: "concurrent duplicate deliveries write one row", body: concurrentDuplicates),
        Check(name: "concurrent refunds never exceed the payment", body: concurrentRefunds),
        Check(name: "a session is credited once; another payment for it goes to an operator", body: secondPayments),
        Check(name: "the rows written come back with their ids and values", body: rowsComeBackWithIDs),
        Check(
            name: "claiming for the push: credits come back claimed, refunds not", body: claimedCreditsUnclaimedRefunds),
        Check(name: "without claiming for the push nothing is claimed", body: nothingClaimedWithoutAsking),
        Check(name: "a duplicate event or a payment present already returns no rows", body: duplicatesReturnNoRows),
        Check(name: "a replay adds no operator item recorded already", body: replayAddsNoRecordedItem),
    ]

    // MARK: - building blocks

    static func event(_ id: String, gateway: String = "stripe", payload: String = "{}") -> WebhookEventRecord {
        WebhookEventRecord(
            gateway: gateway, eventID: id, eventType: "payment_intent.succeeded", payload: Array(payload.utf8),
            headers: [("Stripe-Signature", "t=1,v1=ab")], outcome: "credited")
    }

    static func credit(
        _ paymentID: String, cents: Int64 = 1000, uid: String = "u1", gateway: String = "stripe",
        session: Int64? = nil
    ) -> LedgerEntry {
        LedgerEntry(paymentID: paymentID, uid: uid, gateway: gateway, amount: Money(cents: cents), sessionID: session)
    }

    static func adjustment(
        _ paymentID: String, of original: String, cents: Int64, uid: String = "u1", gateway: String = "stripe"
    ) -> LedgerEntry {
        LedgerEntry(paymentID: paymentID, uid: uid, gateway: gateway, amount: Money(cents: cents), refundOf: original)
    }

    /// Applies one credit row and returns its id.
    @discardableResult
    static func book(_ ledger: any Ledger, _ entry: LedgerEntry) throws -> Int64 {
        let outcome = try ledger.apply(LedgerEffect(entries: [entry]))
        guard let id = outcome.insertedRows.first?.id, outcome.insertedRows.count == 1 else {
            throw LedgerContractViolation("booking \(entry.paymentID) inserted \(outcome.insertedRows.map(\.id))")
        }
        return id
    }

    /// The operator items about `reference` as (reason, gateway) pairs.
    static func items(_ subject: any LedgerContractSubject, reference: String) throws -> [String] {
        try subject.operatorItems().filter { $0.reference == reference }.map(\.reason)
    }
}

/// A broken rule of `LedgerContract`: what was expected, what was found, and where the check is.
public struct LedgerContractViolation: Error, CustomStringConvertible {
    public let description: String

    init(_ message: String, fileID: String = #fileID, line: Int = #line) {
        description = "\(message) (\(fileID):\(line))"
    }
}

/// Fails the check unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, fileID: String = #fileID, line: Int = #line)
    throws
{
    if !condition { throw LedgerContractViolation(message(), fileID: fileID, line: line) }
}

/// Fails the check unless `actual == expected`.
func expectEqual<T: Equatable>(
    _ actual: T, _ expected: T, _ what: String, fileID: String = #fileID, line: Int = #line
) throws {
    if actual != expected {
        throw LedgerContractViolation("\(what): expected \(expected), got \(actual)", fileID: fileID, line: line)
    }
}

/// Fails the check unless `body` throws a `LedgerError` of `kind`; returns that error.
@discardableResult
func expectLedgerError<T>(
    _ kind: LedgerError.Kind, _ what: String, fileID: String = #fileID, line: Int = #line, _ body: () throws -> T
) throws -> LedgerError {
    do {
        let value = try body()
        throw LedgerContractViolation("\(what): expected LedgerError \(kind), got \(value)", fileID: fileID, line: line)
    } catch let error as LedgerError {
        if error.kind != kind {
            throw LedgerContractViolation("\(what): expected \(kind), got \(error)", fileID: fileID, line: line)
        }
        return error
    }
}

/// Fails the check unless the store holds exactly `rows` ledger rows and `events` recorded events.
func expectCounts(
    _ subject: any LedgerContractSubject, rows: Int, events: Int, _ what: String, fileID: String = #fileID,
    line: Int = #line
) throws {
    let counts = try subject.counts()
    if counts.rows != rows || counts.events != events {
        throw LedgerContractViolation(
            "\(what): expected \(rows) rows and \(events) events, got \(counts.rows) and \(counts.events)",
            fileID: fileID, line: line)
    }
}

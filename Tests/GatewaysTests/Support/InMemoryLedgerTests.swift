import PaymentsCore
import PaymentsTestSupport
import Testing

/// The in-memory ledger the gateway tests use keeps the same contract as MariaDBLedger (MariaDBTests runs the same
/// checks there), and its injected failures behave as the real ones do.
@Suite struct InMemoryLedgerTests {
    @Test(arguments: LedgerContract.checks)
    func inMemoryLedgerKeepsTheContract(_ check: LedgerContract.Check) throws {
        try check.run(on: InMemoryLedgerSubject())
    }

    private func credit(_ event: String) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: event, eventType: "payment_intent.succeeded", payload: [], headers: [],
                outcome: "credited"),
            entries: [LedgerEntry(paymentID: "pi_1", uid: "u", gateway: "stripe", amount: Money(cents: 900))])
    }

    /// A COMMIT whose answer was lost: either nothing was written, or everything was and the retry is a duplicate.
    @Test(arguments: [false, true])
    func anUnknownOutcomeIsResolvedByTheRetry(committed: Bool) throws {
        let ledger = InMemoryLedger()
        ledger.failNextApply(.unknownOutcome, committed: committed)
        let error = try #require(throws: LedgerError.self) { try ledger.apply(credit("evt_1")) }
        #expect(error.kind == .unknownOutcome)
        #expect(ledger.rows.count == (committed ? 1 : 0) && ledger.events.count == (committed ? 1 : 0))
        let retry = try ledger.apply(credit("evt_1"))
        #expect(retry.duplicateEvent == committed && retry.insertedRows.count == (committed ? 0 : 1))
        #expect(ledger.rows.map(\.paymentID) == ["pi_1"] && ledger.applyCalls == 2)
    }

    @Test func injectedFailuresAreUsedUpOneApplyEach() throws {
        let ledger = InMemoryLedger()
        ledger.failNextApply(.unavailable, count: 2)
        for _ in 0..<2 {
            let error = try #require(throws: LedgerError.self) { try ledger.apply(credit("evt_2")) }
            #expect(error.kind == .unavailable && ledger.rows.isEmpty && ledger.events.isEmpty)
        }
        #expect(try ledger.apply(credit("evt_2")).insertedRows.count == 1)
        #expect(ledger.applyCalls == 3)
    }
}

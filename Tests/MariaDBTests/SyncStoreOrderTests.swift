import MariaDB
import PaymentsCore
import PaymentsStore
import Testing

/// Rows that wait for other rows (DESIGN §7): refunds for their payment, compensations for the row they undo.
@Suite struct SyncStoreOrderTests {
    let database: TestDatabase
    let ledger: MariaDBLedger
    let store: SyncStore

    init() throws {
        database = try TestDatabase()
        ledger = database.ledger()
        store = SyncStore(configuration: database.configuration)
    }

    /// Writes an adjustment (negative: refund or dispute; positive: compensation) of `payment`; returns its id.
    @discardableResult
    private func adjust(_ paymentID: String, of payment: String, cents: Int64) throws -> Int64 {
        let outcome = try ledger.apply(
            LedgerEffect(entries: [
                LedgerEntry(
                    paymentID: paymentID, uid: "u1", gateway: "stripe", amount: Money(cents: cents), refundOf: payment)
            ]))
        return try #require(outcome.insertedRows.first?.id)
    }

    private func syncState(_ id: Int64) throws -> String {
        try #require(try database.admin.queryOne("SELECT sync_state FROM tn_payments WHERE id = ?", [.int(id)]))
            .string(0)
    }

    /// Seconds until the row is due.
    private func dueIn(_ id: Int64) throws -> Int {
        try #require(
            try database.admin.queryOne(
                "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_sync_at) FROM tn_payments WHERE id = ?", [.int(id)]
            )
        ).int(0)
    }

    private func retryLater(_ id: Int64) throws {
        try database.admin.execute(
            "UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR WHERE id = ?", [.int(id)])
    }

    /// Claims the row alone and records the outcome of a push.
    private func push(_ id: Int64, _ record: (SyncRow) throws -> Bool) throws {
        #expect(try record(try #require(try store.claim(rowID: id), "row \(id) not claimable")))
    }

    @Test func blockedRowsAtTheHeadDoNotHoldBackLaterRows() throws {
        let payment = try database.credit(ledger, "pi_head", cents: 5000)
        for index in 0..<20 { try adjust("re_head_\(index)", of: "pi_head", cents: -10) }
        let credits = try (0..<3).map { try database.credit(ledger, "pi_later_\($0)") }
        try database.makeAllDue()
        try retryLater(payment)

        #expect(try store.listDue(limit: 16).map(\.id) == credits)
        #expect(try store.dueCount() == 3)
        #expect(try store.claimDue(limit: 16).map(\.id) == credits)
        #expect(try store.claimDue(limit: 16).isEmpty)
    }

    @Test func waitingRowsMoveToTheirDependencysRetryAndFollowARequeue() throws {
        let payment = try database.credit(ledger, "pi_wait")
        let refund = try adjust("re_wait", of: "pi_wait", cents: -100)
        try database.makeAllDue()
        try retryLater(payment)

        let settled = try store.settleWaitingRows()
        #expect(settled.failed.isEmpty)
        #expect(settled.deferred == 1)
        #expect((3598...3600).contains(try dueIn(refund)))
        #expect(try store.settleWaitingRows() == SyncStore.Settled())

        #expect(try store.requeue(paymentID: "pi_wait"))
        #expect(try store.claimDue(limit: 10).map(\.id) == [payment])
        #expect(try dueIn(refund) <= 0)
    }

    @Test func rowsWhoseDependencyFailedForGoodBecomeOperatorItems() throws {
        let payment = try database.credit(ledger, "pi_bad", cents: 5000)
        let refund = try adjust("re_bad", of: "pi_bad", cents: -300)
        let reversal = try adjust("re_bad-reversed", of: "pi_bad", cents: 300)
        let dispute = try adjust("du_bad", of: "pi_bad", cents: -1000)
        let reinstated = try adjust("du_bad-reinstated", of: "pi_bad", cents: 1000)
        let other = try database.credit(ledger, "pi_fine")
        try push(payment) { try store.markFailed($0, error: "HTTP 422 ValidationException") }
        try database.makeAllDue()

        #expect(try store.claimDue(limit: 10).map(\.id) == [other])
        let settled = try store.settleWaitingRows()
        #expect(Set(settled.failed.map(\.id)) == [refund, reversal, dispute, reinstated])
        #expect(settled.failed.allSatisfy { $0.claim == nil })
        for id in [refund, reversal, dispute, reinstated] { #expect(try syncState(id) == "failed") }
        let items = try database.admin.query(
            "SELECT reference, payload FROM operator_items WHERE reason = 'dependency-failed' ORDER BY reference")
        #expect(try items.map { try $0.string(0) } == ["du_bad", "du_bad-reinstated", "re_bad", "re_bad-reversed"])
        let payload = try JSONValue.parse(try items[2].string(1))
        #expect(payload["waits_for"]?.stringValue == "pi_bad")
        #expect(payload["amount"]?.int64Value == -300)
        #expect(
            try database.count("SELECT COUNT(*) FROM tn_payments WHERE last_sync_error LIKE 'dependency-failed: %'")
                == 4)
        // They left the queue: never claimed, never settled again.
        #expect(try store.settleWaitingRows() == SyncStore.Settled())
        #expect(try store.claimDue(limit: 10).isEmpty)
        #expect(try database.count("SELECT COUNT(*) FROM operator_items WHERE reason = 'dependency-failed'") == 4)
    }

    @Test(arguments: [("re_c", "re_c-reversed", Int64(-400)), ("du_c", "du_c-reinstated", Int64(-900))])
    func compensationWaitsForTheRowItUndoes(undone: String, compensation: String, cents: Int64) throws {
        let payment = try database.credit(ledger, "pi_c", cents: 5000)
        let undoneID = try adjust(undone, of: "pi_c", cents: cents)
        let compensationID = try adjust(compensation, of: "pi_c", cents: -cents)
        try database.makeAllDue()
        try push(payment) { try store.markSynced($0) }

        // The payment is synced but the row it undoes is not: only that row can go.
        #expect(try store.claim(rowID: compensationID) == nil)
        let first = try store.claimDue(limit: 10)
        #expect(first.map(\.id) == [undoneID])
        #expect(try store.claim(rowID: compensationID) == nil)
        #expect(try store.markRetry(try #require(first.first), error: "HTTP 503", retryAfterSeconds: nil))
        #expect(try store.claimDue(limit: 10).isEmpty)
        #expect(try store.settleWaitingRows().deferred == 1)
        #expect((28...30).contains(try dueIn(compensationID)))

        try database.makeAllDue()
        try push(undoneID) { try store.markSynced($0) }
        #expect(try store.claimDue(limit: 10).map(\.id) == [compensationID])
    }

    @Test func compensationOfARowThatFailedForGoodFailsWithIt() throws {
        let payment = try database.credit(ledger, "pi_cf", cents: 5000)
        let refund = try adjust("re_cf", of: "pi_cf", cents: -400)
        let reversal = try adjust("re_cf-reversed", of: "pi_cf", cents: 400)
        try database.makeAllDue()
        try push(payment) { try store.markSynced($0) }
        try push(refund) { try store.markFailed($0, error: "HTTP 422 ValidationException") }

        #expect(try store.claimDue(limit: 10).isEmpty)
        #expect(try store.settleWaitingRows().failed.map(\.id) == [reversal])
        #expect(try syncState(reversal) == "failed")
        let payload = try #require(
            try database.admin.queryOne(
                "SELECT payload FROM operator_items WHERE reference = 're_cf-reversed' AND reason = 'dependency-failed'"
            ))
        #expect(try JSONValue.parse(try payload.string(0))["waits_for"]?.stringValue == "re_cf")
    }
}

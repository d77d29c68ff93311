import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

/// The group commit's batch (`tn_confirm_credits`, sql/0009): many credits in one transaction, each with the answer
/// and the writes it would have had alone, and one item's fault never another's.
@Suite struct CreditBatchTests {
    private static func effect(
        event eventID: String, payment: String, uid: String = "u1", cents: Int64 = 1000, session: Int64?,
        payload: [UInt8]? = nil
    ) -> LedgerEffect {
        LedgerEffect(
            event: WebhookEventRecord(
                gateway: "stripe", eventID: eventID, eventType: "payment_intent.succeeded",
                payload: payload ?? Array("{\"id\":\"\(eventID)\"}".utf8),
                headers: [("Stripe-Signature", "t=1,v1=x")], outcome: "credited"),
            entries: [
                LedgerEntry(
                    paymentID: payment, uid: uid, gateway: "stripe", amount: Money(cents: cents), sessionID: session)
            ],
            sessionUpdates: session.map { [($0, .paid)] } ?? [])
    }

    /// The responder's second batch waits for as many credits as it has connections: never a lone credit beside a
    /// running batch, never more than one whole batch.
    @Test func aSecondBatchWaitsForAsManyCreditsAsTheResponderHasConnections() {
        #expect(CreditConfirmationGroup.companyMinimum(connections: 1) == 2)
        #expect(CreditConfirmationGroup.companyMinimum(connections: 4) == 4)
        #expect(CreditConfirmationGroup.companyMinimum(connections: 16) == 16)
        #expect(CreditConfirmationGroup.companyMinimum(connections: 64) == CreditConfirmationGroup.batchLimit)
    }

    /// Every byte value, and the packing's own separators, in one payload.
    private static let awkwardPayload: [UInt8] = Array(0...255) + Array("-1:12:;0 :".utf8) + [0, 0]

    /// One of each answer, two in the same session, a duplicate of an earlier item, an item of another shape.
    private static func scenario(sessions: [Int64]) -> [LedgerEffect] {
        var twoRows = effect(event: "evt_5", payment: "pi_5a", session: nil)
        twoRows.entries.append(LedgerEntry(paymentID: "pi_5b", uid: "u1", gateway: "stripe", amount: Money(cents: 5)))
        return [
            // First, so the batch's event-id order is not the submitters' order.
            effect(event: "evt_6", payment: "pi_6", uid: "u2", session: sessions[1], payload: awkwardPayload),
            effect(event: "evt_1", payment: "pi_1", session: sessions[0]),
            effect(event: "evt_1", payment: "pi_9", session: nil),
            effect(event: "evt_2", payment: "pi_2", session: sessions[0]),
            effect(event: "evt_3", payment: "pi_1", cents: 999, session: nil),
            effect(event: "evt_4", payment: "pi_1", session: sessions[0]),
            twoRows,
        ]
    }

    /// The answers without the parts that differ by design (row ids, random claim tokens).
    private static func summary(_ answer: Result<LedgerOutcome, LedgerError>) -> String {
        switch answer {
        case .success(let outcome):
            let inserted = outcome.insertedRows.map { "\($0.paymentID)\($0.claim == nil ? "" : "+claim")" }
            return "duplicate=\(outcome.duplicateEvent) inserted=\(inserted) present=\(outcome.alreadyPresent) "
                + "second=\(outcome.secondPayments) over=\(outcome.overRefunds)"
        case .failure(let error):
            return "error=\(error.kind)"
        }
    }

    /// What the scenario leaves in every table it touches, without ids, times and tokens.
    private static func tables(_ database: TestDatabase) throws -> [[SQLValue]] {
        let queries = [
            "SELECT gateway, event_id, event_type, payload, headers, outcome FROM webhook_events ORDER BY event_id",
            """
            SELECT payment_id, uid, gateway, amount, session_id, refund_of, sync_state, sync_claim_token IS NOT NULL, \
            TIMESTAMPDIFF(SECOND, created_at, sync_claimed_until) FROM tn_payments ORDER BY payment_id
            """,
            "SELECT gateway, reference, reason, payload FROM operator_items ORDER BY reference, reason",
            "SELECT id, status FROM payment_sessions ORDER BY id",
        ]
        return try queries.flatMap { try database.admin.query($0).map(\.values) }
    }

    private static func sessions(_ ledger: MariaDBLedger, uids: [String] = ["u1", "u2"]) throws -> [Int64] {
        try uids.map { uid in
            try ledger.createSession(gateway: "stripe", uid: uid, amount: Money(cents: 1000), currency: "USD").id
        }
    }

    /// Each inserted row answered (id, payment id, claim token) is a row of `database`.
    private static func expectRowsAnsweredAreRowsWritten(
        _ answers: [Result<LedgerOutcome, LedgerError>], in database: TestDatabase
    ) throws {
        for case .success(let outcome) in answers {
            for row in outcome.insertedRows {
                #expect(
                    try database.count(
                        "SELECT COUNT(*) FROM tn_payments WHERE id = ? AND payment_id = ? AND sync_claim_token = ?",
                        [.int(row.id), .text(row.paymentID), SQLValue(row.claim?.token)]) == 1)
            }
        }
    }

    /// The reference: each effect applied alone, in order.
    private static func oneByOne(_ effects: [LedgerEffect], on ledger: MariaDBLedger, claiming: Bool)
        -> [Result<LedgerOutcome, LedgerError>]
    {
        effects.map { effect in
            Result { () throws(LedgerError) in try ledger.apply(effect, claimingCreditsForPush: claiming) }
        }
    }

    @Test func aBatchAnswersAndWritesWhatEachItemWouldAlone() throws {
        let alone = try TestDatabase()
        let aloneLedger = alone.ledger()
        let aloneAnswers = Self.oneByOne(
            try Self.scenario(sessions: Self.sessions(aloneLedger)), on: aloneLedger, claiming: true)

        let together = try TestDatabase()
        let ledger = together.ledger()
        let answers = ledger.apply(
            together: try Self.scenario(sessions: Self.sessions(ledger)), claimingCreditsForPush: true)

        #expect(answers.map(Self.summary) == aloneAnswers.map(Self.summary))
        #expect(
            answers.map(Self.summary) == [
                "duplicate=false inserted=[\"pi_6+claim\"] present=[] second=[] over=[]",
                "duplicate=false inserted=[\"pi_1+claim\"] present=[] second=[] over=[]",
                "duplicate=true inserted=[] present=[] second=[] over=[]",
                "duplicate=false inserted=[] present=[] second=[\"pi_2\"] over=[]",
                "error=integrity",
                "duplicate=false inserted=[] present=[\"pi_1\"] second=[] over=[]",
                "duplicate=false inserted=[\"pi_5a+claim\", \"pi_5b+claim\"] present=[] second=[] over=[]",
            ])
        #expect(try Self.tables(together) == Self.tables(alone))
        // The integrity item's event was undone with it; the payload of every byte came back exactly.
        #expect(try together.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_3'") == 0)
        let payload = try #require(
            try together.admin.queryOne("SELECT payload FROM webhook_events WHERE event_id = 'evt_6'"))
        #expect(try payload.bytes(0) == Self.awkwardPayload)
        // Row ids answered are the rows written.
        try Self.expectRowsAnsweredAreRowsWritten(answers, in: together)
    }

    /// Eighteen new credits, more than one statement's rows (`CreditBatchInsert.rowsPerStatement`, 16): ten in
    /// distinct sessions (one of every byte), eight without a session, in no event-id order.
    private static func newCredits(sessions: [Int64]) -> [LedgerEffect] {
        let inSessions = sessions.enumerated().map { index, session in
            effect(
                event: "evt_n\((index * 7) % 10)", payment: "pi_n\(index)", uid: "u\(index)", cents: Int64(100 + index),
                session: session, payload: index == 4 ? awkwardPayload : nil)
        }
        return inSessions + [
            effect(event: "evt_m3", payment: "pi_m3", cents: 1, session: nil),
            effect(event: "evt_m1", payment: "pi_m1", cents: 77, session: nil),
            effect(event: "evt_m2", payment: "pi_m2", uid: "u3", session: nil),
        ] + (4..<9).map { effect(event: "evt_m\($0)", payment: "pi_m\($0)", cents: Int64($0), session: nil) }
    }

    private static func tenSessions(_ ledger: MariaDBLedger) throws -> [Int64] {
        try (0..<10).map { index in
            try ledger.createSession(
                gateway: "stripe", uid: "u\(index)", amount: Money(cents: Int64(100 + index)), currency: "USD"
            ).id
        }
    }

    @Test func aBatchOfNewCreditsIsWrittenAsSetsExactlyAsEachAlone() throws {
        let alone = try TestDatabase()
        let aloneLedger = alone.ledger()
        let aloneAnswers = Self.oneByOne(
            try Self.newCredits(sessions: Self.tenSessions(aloneLedger)), on: aloneLedger, claiming: true)

        // Without either procedure only the set-based statements can confirm these credits.
        let together = try TestDatabase()
        try together.admin.executeText("DROP PROCEDURE tn_confirm_credits")
        try together.admin.executeText("DROP PROCEDURE tn_confirm_credit")
        let ledger = together.ledger()
        let answers = ledger.apply(
            together: try Self.newCredits(sessions: Self.tenSessions(ledger)), claimingCreditsForPush: true)

        #expect(answers.map(Self.summary) == aloneAnswers.map(Self.summary))
        #expect(answers.allSatisfy { (try? $0.get().insertedRows.count) == 1 }, "\(answers.map(Self.summary))")
        #expect(try Self.tables(together) == Self.tables(alone))
        try Self.expectRowsAnsweredAreRowsWritten(answers, in: together)
    }

    @Test func aBatchThatIsNotAllNewIsUndoneAndAnsweredByTheProcedure() throws {
        // Each batch holds new credits and one that the stored rows make not new: an event already stored, a
        // session that already holds a credit (found only after the batch's events were written), a payment id
        // already stored. The same effects applied one by one are the reference.
        func run(_ database: TestDatabase, together: Bool) throws -> [String] {
            let ledger = database.ledger()
            let sessions = try Self.sessions(ledger, uids: ["u1", "u2", "u3"])
            for effect in [
                Self.effect(event: "evt_old", payment: "pi_old", session: sessions[0]),
                Self.effect(event: "evt_seen", payment: "pi_seen", session: nil),
            ] {
                _ = try ledger.apply(effect, claimingCreditsForPush: false)
            }
            let batches = [
                [
                    Self.effect(event: "evt_a1", payment: "pi_a1", session: sessions[1]),
                    Self.effect(event: "evt_seen", payment: "pi_a2", session: nil),
                ],
                [
                    Self.effect(event: "evt_b1", payment: "pi_b1", session: nil),
                    Self.effect(event: "evt_b2", payment: "pi_b2", session: sessions[0]),
                    Self.effect(event: "evt_b3", payment: "pi_b3", session: sessions[2]),
                ],
                [
                    Self.effect(event: "evt_c1", payment: "pi_c1", session: nil),
                    Self.effect(event: "evt_c2", payment: "pi_seen", session: nil),
                    Self.effect(event: "evt_c3", payment: "pi_old", cents: 5, session: nil),
                ],
            ]
            return batches.flatMap { batch in
                (together
                    ? ledger.apply(together: batch, claimingCreditsForPush: false)
                    : Self.oneByOne(batch, on: ledger, claiming: false)).map(Self.summary)
            }
        }
        let alone = try TestDatabase()
        let together = try TestDatabase()
        let aloneAnswers = try run(alone, together: false)
        let answers = try run(together, together: true)
        #expect(answers == aloneAnswers)
        #expect(
            answers == [
                "duplicate=false inserted=[\"pi_a1\"] present=[] second=[] over=[]",
                "duplicate=true inserted=[] present=[] second=[] over=[]",
                "duplicate=false inserted=[\"pi_b1\"] present=[] second=[] over=[]",
                "duplicate=false inserted=[] present=[] second=[\"pi_b2\"] over=[]",
                "duplicate=false inserted=[\"pi_b3\"] present=[] second=[] over=[]",
                "duplicate=false inserted=[\"pi_c1\"] present=[] second=[] over=[]",
                "duplicate=false inserted=[] present=[\"pi_seen\"] second=[] over=[]",
                "error=integrity",
            ])
        #expect(try Self.tables(together) == Self.tables(alone))
    }

    @Test func anItemTheDatabaseRefusesFailsAloneAndTheOthersAreConfirmed() throws {
        let database = try TestDatabase()
        let ledger = database.ledger()
        // An event id longer than the column: the server refuses the batch, so each item is confirmed alone.
        let tooLong = String(repeating: "e", count: 300)
        let answers = ledger.apply(
            together: [
                Self.effect(event: "evt_a", payment: "pi_a", session: nil),
                Self.effect(event: tooLong, payment: "pi_b", session: nil),
                Self.effect(event: "evt_c", payment: "pi_c", session: nil),
            ], claimingCreditsForPush: false)
        #expect(answers.map(Self.summary)[0] == "duplicate=false inserted=[\"pi_a\"] present=[] second=[] over=[]")
        #expect(answers.map(Self.summary)[1] == "error=failed")
        #expect(answers.map(Self.summary)[2] == "duplicate=false inserted=[\"pi_c\"] present=[] second=[] over=[]")
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == 2)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == 2)
    }

    @Test func creditsTooLargeForOnePacketAreSplitIntoSeveralTransactions() throws {
        let database = try TestDatabase()
        let packetLimit = try #require(try database.admin.queryOne("SELECT @@max_allowed_packet")).int(0)
        // Together well over the server's packet limit; each alone far below it.
        let payload = [UInt8](repeating: UInt8(ascii: "p"), count: 900_000)
        let count = packetLimit / payload.count + 3
        let answers = database.ledger().apply(
            together: (0..<count).map {
                Self.effect(event: "evt_\($0)", payment: "pi_\($0)", session: nil, payload: payload)
            },
            claimingCreditsForPush: false)
        #expect(answers.count == count)
        #expect(answers.allSatisfy { (try? $0.get().insertedRows.count) == 1 }, "\(answers.map(Self.summary))")
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE LENGTH(payload) = 900000") == count)
    }

    @Test func concurrentWorkersSharingOneGroupConfirmEveryCreditOnce() throws {
        let database = try TestDatabase()
        let metrics = Metrics()
        let group = CreditConfirmationGroup(batchConnections: database.configuration, metrics: metrics)
        defer { group.closeConnections() }
        let workers = 12
        let perWorker = 20
        let failures = Mutex<[String]>([])
        let inserted = Mutex<Set<String>>([])
        let configuration = database.configuration
        TestDatabase.onThreads(workers) { worker in
            let ledger = MariaDBLedger(configuration: configuration, creditGroup: group)
            defer { ledger.close() }
            for index in 0..<perWorker {
                // Each credit is delivered by two workers at once (event n by worker w and w + 1 mod workers).
                for owner in [worker, (worker + workers - 1) % workers] {
                    let name = "\(owner)-\(index)"
                    do {
                        let outcome = try ledger.apply(
                            Self.effect(event: "evt_\(name)", payment: "pi_\(name)", session: nil),
                            claimingCreditsForPush: true)
                        let rows = outcome.insertedRows.map(\.paymentID)
                        inserted.withLock { $0.formUnion(rows) }
                    } catch {
                        failures.withLock { $0.append("\(name): \(error)") }
                    }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let expected = Set((0..<workers).flatMap { worker in (0..<perWorker).map { "pi_\(worker)-\($0)" } })
        #expect(inserted.withLock { $0 } == expected)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments") == workers * perWorker)
        #expect(try database.count("SELECT COUNT(DISTINCT payment_id) FROM tn_payments") == workers * perWorker)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events") == workers * perWorker)
        let page = metrics.render()
        #expect(page.contains("payments_credit_batch_items_total \(workers * perWorker * 2)"))
        #expect(page.contains("\npayments_credit_batch_fallbacks_total "), "\(page)")
        // Twelve workers and two transactions in flight at most: credits shared transactions.
        let batches = page.split(separator: "\n").first { $0.hasPrefix("payments_credit_batches_total ") }
        let batchCount = try #require(batches.flatMap { Int($0.split(separator: " ")[1]) })
        #expect(batchCount < workers * perWorker * 2)
    }
}

import Logging
import MariaDB
import PaymentsCore
import Testing

@testable import PaymentsStore

/// A Stripe `payment_intent.succeeded` credit that names its session (`NamedSessionCredit`): booked in the batch that
/// reads and locks the session when the session is as the credit needs, else settled after reading the session. Each
/// scenario runs twice, on a ledger with a group commit (the named path) and on one without (the engine reads the
/// session first, as before the named path existed), and both must leave the same tables and answer the same.
@Suite struct NamedSessionCreditTests {
    /// The sessions of one scenario, made alike on both databases.
    struct Sessions {
        var pending: PaymentSession
        var canceled: PaymentSession
        var paidElsewhere: PaymentSession
        var otherGateway: PaymentSession
        var otherIntent: PaymentSession
    }

    private static func makeSessions(_ ledger: MariaDBLedger) throws -> Sessions {
        func session(_ gateway: String, _ uid: String, intent: String, status: SessionStatus) throws -> PaymentSession {
            let made = try ledger.createSession(gateway: gateway, uid: uid, amount: Money(cents: 500), currency: "USD")
            try ledger.attachExternalID(sessionID: made.id, externalID: intent, status: status)
            return try #require(try ledger.session(publicID: made.publicID))
        }
        // Paid under another payment before the gateway's id was stored (no external id).
        let paid = try ledger.createSession(gateway: "stripe", uid: "u3", amount: Money(cents: 500), currency: "USD")
        _ = try ledger.apply(
            LedgerEffect(
                entries: [
                    LedgerEntry(
                        paymentID: "pi_paid", uid: "u3", gateway: "stripe", amount: Money(cents: 500),
                        sessionID: paid.id)
                ], sessionUpdates: [(paid.id, .paid)]))
        return Sessions(
            pending: try session("stripe", "u1", intent: "pi_1", status: .pending),
            canceled: try session("stripe", "u2", intent: "pi_2", status: .canceled),
            paidElsewhere: try #require(try ledger.session(publicID: paid.publicID)),
            otherGateway: try session("paypal", "u4", intent: "pi_4", status: .pending),
            otherIntent: try session("stripe", "u5", intent: "pi_5", status: .pending))
    }

    /// The facts Stripe states for a succeeded intent, and its event.
    private static func delivery(_ intent: String, names publicID: String, uid: String) -> (
        [SettlementFact], WebhookEventRecord
    ) {
        let payment = SettlementFact.Payment(
            id: intent,
            payer: .named(SessionReference(publicID: publicID, gateway: "stripe", uid: uid, externalID: intent)),
            amount: ReportedMoney(cents: 700, currency: "usd"), rule: .reported)
        let event = WebhookEventRecord(
            gateway: "stripe", eventID: "evt_\(intent)_\(uid)", eventType: "payment_intent.succeeded",
            payload: Array("{\"id\":\"\(intent)\"}".utf8), headers: [("Stripe-Signature", "t=1,v1=x")],
            outcome: "")
        return ([.paid(payment)], event)
    }

    /// The deliveries of the scenario: the two the named path books, then the five it leaves to the engine.
    private static func deliveries(_ sessions: Sessions) -> [([SettlementFact], WebhookEventRecord)] {
        [
            delivery("pi_1", names: sessions.pending.publicID, uid: "u1"),
            delivery("pi_2", names: sessions.canceled.publicID, uid: "u2"),
            delivery("pi_1b", names: sessions.pending.publicID, uid: "u1"),  // the session carries pi_1 now
            delivery("pi_9", names: sessions.paidElsewhere.publicID, uid: "u3"),  // paid under another payment
            delivery("pi_4", names: sessions.otherGateway.publicID, uid: "u4"),  // another gateway's session
            delivery("pi_6", names: sessions.otherIntent.publicID, uid: "u5"),  // the session carries pi_5
            delivery("pi_7", names: sessions.pending.publicID, uid: "someone-else"),  // another uid
            delivery("pi_8", names: "00000000-0000-4000-8000-000000000000", uid: "u1"),  // no such session
        ]
    }

    /// Settles every delivery; the answers as text.
    private static func run(_ database: TestDatabase, group: CreditConfirmationGroup?) throws -> [String] {
        let ledger = MariaDBLedger(configuration: database.configuration, creditGroup: group)
        defer { ledger.close() }
        let sessions = try makeSessions(ledger)
        let settlement = Settlement(ledger: ledger, gateway: "stripe", logger: Logger(label: "named-credit-test"))
        return try deliveries(sessions).map { facts, event in
            let result = try settlement.settle(facts, event: event)
            let rows = result.ledger.insertedRows.map { "\($0.paymentID)@\($0.sessionID.map(String.init) ?? "-")" }
            return "\(result.verdict) \(result.outcome ?? "-") rows=\(rows) second=\(result.ledger.secondPayments)"
        }
    }

    /// What the scenario leaves in the tables, without ids other than sessions', times and tokens.
    private static func tables(_ database: TestDatabase) throws -> [[SQLValue]] {
        try [
            "SELECT gateway, event_id, event_type, payload, headers, outcome FROM webhook_events ORDER BY event_id",
            "SELECT payment_id, uid, gateway, amount, session_id, refund_of FROM tn_payments ORDER BY payment_id",
            // The payload names the session's random public_id.
            "SELECT gateway, reference, reason FROM operator_items ORDER BY reference, reason",
            "SELECT id, gateway, external_id, uid, status FROM payment_sessions ORDER BY id",
        ].flatMap { try database.admin.query($0).map(\.values) }
    }

    @Test func aNamedCreditIsBookedInItsBatchOrSettledAfterReadingItsSessionExactlyAsWithoutTheBatch() throws {
        let read = try TestDatabase()
        let readAnswers = try Self.run(read, group: nil)

        let named = try TestDatabase()
        let metrics = Metrics()
        let group = CreditConfirmationGroup(batchConnections: named.configuration, metrics: metrics)
        defer { group.closeConnections() }
        let answers = try Self.run(named, group: group)

        #expect(answers == readAnswers)
        #expect(try Self.tables(named) == Self.tables(read))
        let sessions = try named.admin.query("SELECT id FROM payment_sessions WHERE uid IN ('u1', 'u2') ORDER BY uid")
            .map { try $0.int64(0) }
        #expect(
            answers == [
                "credited credited rows=[\"pi_1@\(sessions[0])\"] second=[]",
                "credited credited rows=[\"pi_2@\(sessions[1])\"] second=[]",
                "ignored ignored rows=[] second=[]",
                "operator second-payment rows=[] second=[]",
                "ignored ignored rows=[] second=[]",
                "ignored ignored rows=[] second=[]",
                "ignored ignored rows=[] second=[]",
                "ignored ignored rows=[] second=[]",
            ])
        // Each delivery went to a batch alone; the first two were written there, the six others were not (a
        // fallback each) and then settled after reading their sessions.
        let page = metrics.render()
        #expect(page.contains("payments_credit_batch_items_total 8"), "\(page)")
        #expect(page.contains("payments_credit_batch_fallbacks_total 6"), "\(page)")
    }

    @Test func aBatchWritesItsNamedCreditsOrLeavesThemAndConfirmsTheOthers() throws {
        let database = try TestDatabase()
        let ledger = database.ledger()
        defer { ledger.close() }
        let sessions = try Self.makeSessions(ledger)
        let connection = DatabaseSession(options: database.configuration.connectionOptions, logger: nil)
        defer { connection.drop() }
        func named(_ intent: String, _ session: PaymentSession, uid: String) throws -> CreditConfirmation {
            let (facts, event) = Self.delivery(intent, names: session.publicID, uid: uid)
            let credit = try #require(NamedSessionCredit(facts, event: event, gateway: "stripe"))
            return CreditConfirmation(credit, claim: nil)
        }
        func regular(_ payment: String) throws -> CreditConfirmation {
            let effect = LedgerEffect(
                event: WebhookEventRecord(
                    gateway: "stripe", eventID: "evt_\(payment)", eventType: "payment_intent.succeeded",
                    payload: [1], headers: [], outcome: "credited"),
                entries: [LedgerEntry(paymentID: payment, uid: "u9", gateway: "stripe", amount: Money(cents: 100))])
            return try #require(CreditConfirmation(effect, claim: nil))
        }
        func written(_ answers: [Result<LedgerOutcome, LedgerError>]) -> [[String]] {
            answers.map { (try? $0.get().insertedRows.map { "\($0.paymentID)@\($0.sessionID ?? 0)" }) ?? ["error"] }
        }

        // All as needed: one transaction writes the named credits with their sessions' ids, and the regular one.
        let first = CreditBatch(confirmations: [
            try named("pi_1", sessions.pending, uid: "u1"), try regular("pi_r1"),
            try named("pi_2", sessions.canceled, uid: "u2"),
        ]).apply(connection)
        #expect(written(first) == [["pi_1@\(sessions.pending.id)"], ["pi_r1@0"], ["pi_2@\(sessions.canceled.id)"]])
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM payment_sessions WHERE status = 'paid' AND id IN (?, ?)",
                [.int(sessions.pending.id), .int(sessions.canceled.id)]) == 2)

        // One named session is not as needed: nothing is written for either named credit, the regular one is.
        let second = CreditBatch(confirmations: [
            try named("pi_6", sessions.otherIntent, uid: "u5"), try regular("pi_r2"),
            try named("pi_9", sessions.paidElsewhere, uid: "u3"),
        ]).apply(connection)
        #expect(written(second) == [[], ["pi_r2@0"], []])
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id IN ('pi_6', 'pi_9')") == 0)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id LIKE 'evt_pi_6%'") == 0)
        #expect(
            try database.count(
                "SELECT COUNT(*) FROM payment_sessions WHERE id = ? AND status = 'pending'",
                [.int(sessions.otherIntent.id)]) == 1)

        // Two named credits for one session: neither is written in the batch (the engine decides between them).
        let third = CreditBatch(confirmations: [
            try named("pi_5", sessions.otherIntent, uid: "u5"), try named("pi_5b", sessions.otherIntent, uid: "u5"),
        ]).apply(connection)
        #expect(written(third) == [[], []])
    }
}

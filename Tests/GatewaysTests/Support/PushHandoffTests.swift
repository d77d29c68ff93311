import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// The per-request hand-off of new ledger rows to the Retail push, and the settlement engine, which fills it.
@Suite struct PushHandoffTests {
    let ledger = InMemoryLedger()

    func context(_ push: PushHandoff) -> RequestContext {
        let services = GatewayServices(
            core: CoreConfiguration(),
            transport: FakeTransport { _ in throw APIError(.gatewayUnavailable, "no outbound calls here") },
            authenticator: FixedAuthenticator(
                user: AuthenticatedUser(uid: "u", emailVerified: true, signInProvider: "x")),
            recaptcha: PassRecaptcha())
        return RequestContext(
            request: APIRequest(method: "POST", route: "x-y", headers: [:], body: []), logger: Logger(label: "test"),
            ledger: ledger, services: services, push: push)
    }

    func credit(_ paymentID: String, event: String? = nil) -> LedgerEffect {
        LedgerEffect(
            event: event.map {
                WebhookEventRecord(
                    gateway: "stripe", eventID: $0, eventType: "payment_intent.succeeded", payload: [], headers: [],
                    outcome: "credited")
            },
            entries: [LedgerEntry(paymentID: paymentID, uid: "u", gateway: "stripe", amount: Money(cents: 700))])
    }

    @Test func takeKeepsEachRowOnceInOrder() throws {
        let push = PushHandoff()
        let first = try ledger.apply(credit("pi_1"))
        let second = try ledger.apply(credit("pi_2"))
        push.take(first)
        push.take(second)
        push.take(first)
        push.take(LedgerOutcome(duplicateEvent: true))
        #expect(push.rows.map(\.paymentID) == ["pi_1", "pi_2"])
        #expect(push.rows == first.insertedRows + second.insertedRows)
    }

    /// A credit of 7.00 to `u` through the engine of a request whose hand-off is `push`.
    func settleCredit(_ push: PushHandoff, _ paymentID: String, event: String? = nil) throws -> SettlementResult {
        let payment = SettlementFact.Payment(
            id: paymentID, payer: .user(uid: "u"), amount: ReportedMoney(cents: 700, currency: "USD"), rule: .reported)
        let record = event.map {
            WebhookEventRecord(
                gateway: "stripe", eventID: $0, eventType: "payment_intent.succeeded", payload: [], headers: [],
                outcome: "recorded")
        }
        return try Settlement(context(push), gateway: "stripe").settle([.paid(payment)], event: record)
    }

    @Test(
        "the engine of a request claims credits exactly when the queue has room, and hands the rows over",
        arguments: [true, false])
    func settlementFollowsTheHandoff(_ room: Bool) throws {
        let push = PushHandoff(claimsCredits: room)
        let outcome = try settleCredit(push, "pi_ctx", event: "evt_ctx").ledger
        #expect(outcome.insertedRows.count == 1)
        #expect((outcome.insertedRows.first?.claim != nil) == room)
        #expect(push.rows == outcome.insertedRows)
        let duplicate = try settleCredit(push, "pi_ctx", event: "evt_ctx")
        #expect(duplicate.verdict == .duplicate && push.rows.count == 1)
    }

    @Test func theEngineOutsideARequestClaimsNothing() throws {
        let payment = SettlementFact.Payment(
            id: "pi_rec", payer: .user(uid: "u"), amount: ReportedMoney(cents: 700, currency: "USD"), rule: .reported)
        let result = try Settlement(ledger: ledger, gateway: "stripe", logger: Logger(label: "test")).settle([
            .paid(payment)
        ])
        #expect(result.ledger.insertedRows.count == 1 && result.ledger.insertedRows.first?.claim == nil)
    }

    @Test func aFailedSettlementHandsNothingOver() throws {
        let push = PushHandoff(claimsCredits: true)
        ledger.failNextApply(.unavailable)
        #expect(throws: LedgerError.self) { try settleCredit(push, "pi_fail") }
        #expect(push.rows.isEmpty)
    }
}

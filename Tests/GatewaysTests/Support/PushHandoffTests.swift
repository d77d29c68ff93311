import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// The per-request hand-off of new ledger rows to the Retail push, and `RequestContext.apply`, which fills it.
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

    @Test(
        "context.apply claims credits exactly when the queue has room, and hands the rows over",
        arguments: [true, false])
    func applyFollowsTheHandoff(_ room: Bool) throws {
        let push = PushHandoff(claimsCredits: room)
        let context = context(push)
        let outcome = try context.apply(credit("pi_ctx", event: "evt_ctx"))
        #expect(outcome.insertedRows.count == 1)
        #expect((outcome.insertedRows.first?.claim != nil) == room)
        #expect(push.rows == outcome.insertedRows)
        // The acknowledgement taking the same outcome again hands nothing twice.
        _ = WebhookIntake(context, gateway: "stripe").acknowledge(outcome)
        #expect(push.rows == outcome.insertedRows)
        let duplicate = try context.apply(credit("pi_ctx", event: "evt_ctx"))
        #expect(duplicate.duplicateEvent && push.rows.count == 1)
    }

    @Test func aFailedApplyHandsNothingOver() throws {
        let push = PushHandoff(claimsCredits: true)
        ledger.failNextApply(.unavailable)
        #expect(throws: LedgerError.self) { try context(push).apply(credit("pi_fail")) }
        #expect(push.rows.isEmpty)
    }
}

import Logging
import PaymentsCore
import PaymentsTestSupport
import Testing

/// The settlement engine's rules, each against the in-memory ledger: what is booked, what goes to an operator, how
/// sessions move, the outcome recorded with the event and the verdict routes answer from.
@Suite struct SettlementTests {
    let ledger = InMemoryLedger()
    var engine: Settlement { Settlement(ledger: ledger, gateway: "gw", logger: Logger(label: "test")) }

    /// An open session of 15.00 at gateway `gw`.
    func session(amount: Int64 = 1500, gateway: String = "gw") throws -> PaymentSession {
        let created = try ledger.createSession(
            gateway: gateway, uid: "u1", amount: Money(cents: amount), currency: "USD")
        try ledger.attachExternalID(sessionID: created.id, externalID: "ext-\(created.id)", status: .pending)
        return try #require(try ledger.session(publicID: created.publicID))
    }

    func event(_ id: String = "evt-1") -> WebhookEventRecord {
        WebhookEventRecord(gateway: "gw", eventID: id, eventType: "t", payload: [], headers: [], outcome: "recorded")
    }

    static func paid(
        _ id: String, _ session: PaymentSession, cents: Int64?, currency: String = "USD",
        rule: SettlementFact.Payment.AmountRule
    ) -> SettlementFact {
        .paid(
            SettlementFact.Payment(
                id: id, payer: .session(session),
                amount: ReportedMoney(cents: cents, currency: currency, text: cents.map(String.init) ?? "?"),
                rule: rule))
    }

    static func refund(_ id: String, of payment: String, cents: Int64, kind: SettlementFact.Refund.Kind = .refund)
        -> SettlementFact
    {
        .refunded(
            SettlementFact.Refund(
                id: id, paymentID: payment, kind: kind, amount: .reported(ReportedMoney(cents: cents, currency: "usd")))
        )
    }

    /// A credited payment `pay-1` of 15.00 to refund.
    func credited() throws -> PaymentSession {
        let session = try session()
        _ = try engine.settle([Self.paid("pay-1", session, cents: 1500, rule: .exact)])
        return session
    }

    // MARK: - payments

    @Test func anExactPaymentCreditsTheSessionAmountOnceAndMarksItPaid() throws {
        let session = try session()
        let result = try engine.settle([Self.paid("pay-1", session, cents: 1500, rule: .exact)], event: event())
        #expect(result.verdict == .credited && result.ledger.insertedRows.count == 1)
        #expect(ledger.rows.map(\.amount.cents) == [1500] && ledger.rows.first?.sessionID == session.id)
        #expect(ledger.sessions.first?.status == .paid && ledger.events["gw|evt-1"]?.outcome == "credited")
        #expect(ledger.applyCalls == 1)
        let again = try engine.settle([Self.paid("pay-1", session, cents: 1500, rule: .exact)], event: event())
        #expect(again.verdict == .duplicate && ledger.rows.count == 1)
    }

    @Test(arguments: [
        (Int64?.some(1499), "USD", "amount-mismatch"), (nil, "USD", "amount-mismatch"),
        (1500, "EUR", "non-usd-payment"),
    ])
    func anExactPaymentThatDoesNotMatchGoesToAnOperatorAndClosesTheSession(
        cents: Int64?, currency: String, reason: String
    ) throws {
        let session = try session()
        let result = try engine.settle(
            [Self.paid("pay-1", session, cents: cents, currency: currency, rule: .exact)], event: event())
        #expect(result.verdict == .operator && result.reconcileResult == .closed(.failed))
        #expect(ledger.rows.isEmpty && ledger.operatorItems.map(\.reason) == [reason])
        #expect(ledger.operatorItems.first?.reference == "pay-1" && ledger.sessions.first?.status == .failed)
    }

    @Test func aSecondPaymentForACreditedSessionGoesToAnOperatorAndCreditsNothing() throws {
        let session = try credited()
        let paidSession = try #require(try ledger.session(publicID: session.publicID))
        #expect(paidSession.status == .paid)
        let again = try engine.settle([Self.paid("pay-1", paidSession, cents: 1500, rule: .exact)], event: event("e2"))
        #expect(again.verdict == .credited && ledger.operatorItems.isEmpty)
        let second = try engine.settle([Self.paid("pay-2", paidSession, cents: 1500, rule: .exact)], event: event("e3"))
        #expect(second.verdict == .operator && ledger.rows.map(\.paymentID) == ["pay-1"])
        #expect(
            ledger.operatorItems.map(\.reason) == ["second-payment"] && ledger.operatorItems.first?.reference == "pay-2"
        )
        #expect(ledger.sessions.first?.status == .paid && ledger.events["gw|e3"]?.outcome == "second-payment")
    }

    @Test func usdIsRecognisedInAnyCase() throws {
        let session = try session()
        let result = try engine.settle([Self.paid("pay-1", session, cents: 700, currency: "usd", rule: .reported)])
        #expect(result.verdict == .credited && ledger.rows.map(\.amount.cents) == [700])
    }

    @Test func aReportedAmountIsCreditedAsIsAndNothingReceivedStaysOpenWithoutAWrite() throws {
        let session = try session()
        let nothing = try engine.settle([Self.paid("pay-1", session, cents: 0, rule: .reported)])
        #expect(nothing.verdict == .open && ledger.applyCalls == 0 && ledger.sessions.first?.status == .pending)
        let result = try engine.settle([Self.paid("pay-1", session, cents: 2100, rule: .reported)])
        #expect(result.verdict == .credited && ledger.rows.map(\.amount.cents) == [2100])
    }

    @Test(arguments: [(false, Int64(1500)), (true, Int64(1800))])
    func anOverpaymentIsCappedAtTheSessionUnlessAllowed(allowed: Bool, credited: Int64) throws {
        let session = try session()
        _ = try engine.settle([
            Self.paid("pay-1", session, cents: 1800, rule: .upToSession(overpaymentAllowed: allowed))
        ])
        #expect(ledger.rows.map(\.amount.cents) == [credited])
    }

    @Test func anUnusableAmountUpToTheSessionGoesToAnOperator() throws {
        let session = try session()
        let result = try engine.settle(
            [Self.paid("pay-1", session, cents: nil, rule: .upToSession(overpaymentAllowed: false))], event: event())
        #expect(result.verdict == .operator && ledger.operatorItems.map(\.reason) == ["unusable-payment"])
        #expect(ledger.rows.isEmpty && ledger.sessions.first?.status == .failed)
    }

    @Test(arguments: [
        (Int64?.some(1500), [Int64(1500)], [String](), SessionStatus.paid, "credited"),
        (1501, [1500], ["overpayment"], .paid, "overpayment"),
        (1499, [], ["underpayment"], .failed, "underpayment"),
        (nil, [], ["underpayment"], .failed, "underpayment"),
    ])
    func atLeastTheSessionCreditsTheSessionAmountAndHandsOverTheDifference(
        cents: Int64?, rows: [Int64], reasons: [String], status: SessionStatus, outcome: String
    ) throws {
        let session = try session()
        let result = try engine.settle(
            [Self.paid("pay-1", session, cents: cents, rule: .atLeastSession)], event: event())
        #expect(result.verdict == (rows.isEmpty ? .operator : .credited))
        #expect(ledger.rows.map(\.amount.cents) == rows && ledger.operatorItems.map(\.reason) == reasons)
        #expect(ledger.operatorItems.allSatisfy { $0.reference == "pay-1" })
        #expect(ledger.sessions.first?.status == status && ledger.events["gw|evt-1"]?.outcome == outcome)
    }

    @Test func aStorePurchaseCreditsTheVerifiedUidWithoutASession() throws {
        let fact = SettlementFact.paid(
            SettlementFact.Payment(
                id: "gpa.1", payer: .user(uid: "store-user"), amount: ReportedMoney(cents: 499, currency: "USD"),
                rule: .exact))
        let result = try engine.settle([fact], event: event())
        #expect(result.verdict == .credited && ledger.rows.map(\.uid) == ["store-user"])
        #expect(ledger.rows.first?.sessionID == nil && ledger.rows.first?.gateway == "gw")
    }

    @Test func aPaymentRefundedAtTheGatewayIsAlreadyCreditedOrAnOperatorItem() throws {
        let session = try session()
        var payment = SettlementFact.Payment(
            id: "pay-1", payer: .session(session), amount: ReportedMoney(cents: 1500, currency: "USD"), rule: .exact,
            refundedAtGateway: true)
        let early = try engine.settle([.paid(payment)], event: event("e1"))
        #expect(early.verdict == .operator && ledger.operatorItems.map(\.reason) == ["refunded-before-credit"])
        payment.refundedAtGateway = false
        _ = try engine.settle([.paid(payment)])
        payment.refundedAtGateway = true
        let late = try engine.settle([.paid(payment)], event: event("e2"))
        #expect(late.verdict == .credited && ledger.events["gw|e2"]?.outcome == "already-credited")
        #expect(ledger.rows.count == 1)
    }

    // MARK: - refunds

    @Test func aRefundTakesItsAmountBackFromAPaymentOfTheSameGateway() throws {
        _ = try credited()
        let result = try engine.settle([Self.refund("re-1", of: "pay-1", cents: 400)], event: event())
        #expect(result.verdict == .refunded && result.reconcileResult == .closed(.refunded))
        let row = try #require(ledger.rows.last)
        #expect(row.paymentID == "re-1" && row.amount.cents == -400 && row.uid == "u1")
        #expect(row.refundOf == ledger.rows.first?.id && ledger.events["gw|evt-1"]?.outcome == "refunded")
        #expect(ledger.sessions.first?.status == .paid)
    }

    @Test func aRefundBeforeItsPaymentAsksForARetryAndWritesNothing() throws {
        let error = try #require(throws: LedgerError.self) {
            try engine.settle([Self.refund("re-1", of: "pay-x", cents: 400)], event: event())
        }
        #expect(error.kind == .refundTargetMissing && ledger.events.isEmpty && ledger.applyCalls == 0)
    }

    @Test func aRefundOfAnotherGatewaysPaymentIsAnIntegrityError() throws {
        let other = try session(gateway: "other")
        _ = try Settlement(ledger: ledger, gateway: "other", logger: Logger(label: "test")).settle([
            Self.paid("pay-o", other, cents: 1500, rule: .exact)
        ])
        let error = try #require(throws: LedgerError.self) {
            try engine.settle([Self.refund("re-1", of: "pay-o", cents: 100)])
        }
        #expect(error.kind == .integrity && ledger.rows.count == 1)
    }

    @Test(arguments: [
        (SettlementFact.Refund.Kind.refund, Int64(0), "usd", "unusable-refund"),
        (.reversal, -5, "usd", "unusable-refund"), (.refund, 100, "eur", "non-usd-refund"),
        (.dispute, 0, "usd", "unusable-dispute"), (.dispute, 100, "EUR", "non-usd-dispute"),
    ])
    func unusableMoneyBackGoesToAnOperator(
        kind: SettlementFact.Refund.Kind, cents: Int64, currency: String, reason: String
    )
        throws
    {
        _ = try credited()
        let fact = SettlementFact.refunded(
            SettlementFact.Refund(
                id: "re-1", paymentID: "pay-1", kind: kind,
                amount: .reported(ReportedMoney(cents: cents, currency: currency))))
        let result = try engine.settle([fact], event: event())
        #expect(result.verdict == .operator && ledger.operatorItems.map(\.reason) == [reason])
        #expect(ledger.rows.count == 1 && ledger.sessions.first?.status == .paid)
    }

    @Test func aWholePaymentRefundTakesBackWhatWasCreditedAndMarksTheSessionRefunded() throws {
        _ = try credited()
        let fact = SettlementFact.refunded(
            SettlementFact.Refund(id: "pay-1-refund", paymentID: "pay-1", kind: .refund, amount: .wholePayment))
        _ = try engine.settle([fact])
        #expect(ledger.rows.map(\.amount.cents) == [1500, -1500] && ledger.sessions.first?.status == .refunded)
    }

    @Test func aRefundThatCompletesThePaymentMarksTheSessionRefundedAndOnlyThat() throws {
        _ = try credited()
        _ = try engine.settle([Self.refund("re-1", of: "pay-1", cents: 900)], event: event("e1"))
        #expect(ledger.sessions.first?.status == .paid)
        // The first part delivered again is no new money: 900 + 900 would pass the credit.
        _ = try engine.settle([Self.refund("re-1", of: "pay-1", cents: 900)], event: event("e2"))
        #expect(ledger.sessions.first?.status == .paid && ledger.rows.count == 2)
        let last = try engine.settle([Self.refund("re-2", of: "pay-1", cents: 600)], event: event("e3"))
        #expect(last.verdict == .refunded && ledger.rows.map(\.amount.cents) == [1500, -900, -600])
        #expect(ledger.sessions.first?.status == .refunded)
    }

    @Test func partsThatCompleteThePaymentInOneDeliveryMarkTheSessionRefunded() throws {
        _ = try credited()
        _ = try engine.settle([
            Self.refund("re-1", of: "pay-1", cents: 1000), Self.refund("re-2", of: "pay-1", cents: 500),
        ])
        #expect(ledger.rows.map(\.amount.cents) == [1500, -1000, -500] && ledger.sessions.first?.status == .refunded)
    }

    @Test func aDisputeOfTheWholeAmountLeavesTheSessionPaidBecauseItCanStillBeWon() throws {
        _ = try credited()
        _ = try engine.settle([Self.refund("du-1", of: "pay-1", cents: 1500, kind: .dispute)])
        #expect(ledger.rows.map(\.amount.cents) == [1500, -1500] && ledger.sessions.first?.status == .paid)
    }

    @Test func aFailedRefundIsGivenBackOnceBookedAndIsNoChangeOtherwise() throws {
        _ = try credited()
        let early = try engine.settle([.refundReversed(refundID: "re-1", paymentID: "pay-1")], event: event("e1"))
        #expect(ledger.rows.count == 1 && ledger.events["gw|e1"]?.outcome == "no-change")
        #expect(early.ledger.insertedRows.isEmpty)
        _ = try engine.settle([Self.refund("re-1", of: "pay-1", cents: 400)])
        _ = try engine.settle([.refundReversed(refundID: "re-1", paymentID: "pay-1")], event: event("e2"))
        #expect(ledger.rows.map(\.paymentID) == ["pay-1", "re-1", "re-1-reversed"])
        #expect(ledger.rows.map(\.amount.cents) == [1500, -400, 400])
    }

    @Test func aReinstatedDisputeNeedsItsWithdrawalFirst() throws {
        _ = try credited()
        let amount = ReportedMoney(cents: 1500, currency: "usd")
        let reinstated = SettlementFact.disputeReinstated(disputeID: "du-1", paymentID: "pay-1", amount: amount)
        let error = try #require(throws: LedgerError.self) { try engine.settle([reinstated], event: event("e1")) }
        #expect(error.kind == .refundTargetMissing)
        _ = try engine.settle([Self.refund("du-1", of: "pay-1", cents: 1500, kind: .dispute)], event: event("e2"))
        _ = try engine.settle([reinstated], event: event("e3"))
        #expect(ledger.rows.map(\.paymentID) == ["pay-1", "du-1", "du-1-reinstated"])
        #expect(ledger.events["gw|e2"]?.outcome == "withdrawn" && ledger.events["gw|e3"]?.outcome == "reinstated")
    }

    @Test func severalFactsAreOneTransactionWithOneOutcome() throws {
        _ = try credited()
        let calls = ledger.applyCalls
        let facts = [
            Self.refund("re-1", of: "pay-1", cents: 100), Self.refund("re-2", of: "pay-1", cents: 200),
            .refundReversed(refundID: "re-9", paymentID: "pay-1"),
        ]
        let result = try engine.settle(facts, event: event())
        #expect(ledger.applyCalls == calls + 1 && result.ledger.insertedRows.count == 2)
        #expect(result.verdict == .refunded && ledger.events["gw|evt-1"]?.outcome == "booked")
        _ = try engine.settle([], event: event("e-none"))
        #expect(ledger.events["gw|e-none"]?.outcome == "no-change")
    }

    // MARK: - sessions

    @Test func onlyOpenSessionsMoveExceptToPaid() throws {
        let session = try session()
        _ = try engine.settle([.review(reason: "locked", session: session)], event: event("e1"))
        #expect(ledger.sessions.first?.status == .review && ledger.events["gw|e1"]?.outcome == "locked")
        var current = try #require(ledger.sessions.first)
        let closed = try engine.settle([.sessionClosed(current, .expired, reason: "expired")])
        #expect(closed.verdict == .closed(.expired) && ledger.sessions.first?.status == .expired)
        current = try #require(ledger.sessions.first)
        _ = try engine.settle([.open(reason: "not-final", session: current)])
        _ = try engine.settle([.sessionClosed(current, .canceled, reason: "canceled")])
        #expect(ledger.sessions.first?.status == .expired)
        _ = try engine.settle([Self.paid("pay-1", current, cents: 1500, rule: .exact)])
        #expect(ledger.sessions.first?.status == .paid)
    }

    @Test func factsWithoutAnEventOrAChangeWriteNothing() throws {
        let session = try session()
        let open = try engine.settle([.open(reason: "pending", session: nil)])
        let ignored = try engine.settle([.ignored(reason: "not-ours")])
        let same = try engine.settle([.open(reason: "not-final", session: session)])
        #expect(open.verdict == .open && ignored.verdict == .ignored && same.verdict == .open)
        #expect(ledger.applyCalls == 0 && open.reconcileResult == .unchanged)
    }

    @Test func anOperatorNoteIsStoredAndClosesItsSession() throws {
        let session = try session()
        let note = SettlementFact.OperatorNote(
            reference: "inv-1", reason: "cryptomus-wrong-amount", detail: "invoice=15.00", closing: session)
        let result = try engine.settle([.needsOperator(note)], event: event())
        #expect(result.verdict == .operator && ledger.operatorItems.map(\.payload) == ["invoice=15.00"])
        #expect(ledger.sessions.first?.status == .failed && ledger.rows.isEmpty)
        #expect(ledger.events["gw|evt-1"]?.outcome == "cryptomus-wrong-amount")
    }
}

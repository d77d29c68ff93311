import Gateways
import Logging
import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

/// Drives the Stripe gateway's routes in process against a fake Stripe and an in-memory ledger.
final class StripeHarness {
    let stripe = FakeStripe()
    let transport: FakeTransport
    let ledger = InMemoryLedger()
    let services: GatewayServices
    let gateway: StripeGateway
    let router: Router
    let user = AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "google.com")
    /// The Retail push hand-off of the last request `call` made.
    private(set) var lastPush = PushHandoff()
    /// Ids of the ledger rows the last request handed to the Retail push.
    var pushedRowIDs: [Int64] { lastPush.rows.map(\.id) }

    init() throws {
        transport = stripe.makeTransport()
        services = GatewayServices(
            core: CoreConfiguration(), transport: transport, authenticator: FixedAuthenticator(user: user),
            recaptcha: PassRecaptcha())
        let config = ConfigReader([
            "STRIPE_SECRET_KEY": "sk_test_unit", "STRIPE_PUBLISHABLE_KEY": "pk_test_unit",
            "STRIPE_WEBHOOK_SECRET": "whsec_a,whsec_unit",
            "STRIPE_API_BASE": "https://stripe.test",
        ])
        gateway = try StripeGateway(GatewayContext(config: config, services: services))
        var router = Router()
        try router.add(prefix: "stripe", routes: gateway.routes)
        self.router = router
    }

    func call(
        _ action: String, body: String, headers: [String: String] = [:], asUser: Bool = true,
        caller: AuthenticatedUser? = nil
    ) throws -> APIResponse {
        let name = Router.name(prefix: "stripe", action: action)
        let entry = try #require(router.resolve(method: "POST", name: name))
        let request = APIRequest(method: "POST", route: name, headers: headers, body: Array(body.utf8))
        lastPush = PushHandoff()
        let context = RequestContext(
            request: request, logger: Logger(label: "test"), ledger: ledger, services: services,
            user: asUser ? caller ?? user : nil, push: lastPush)
        return try entry.route.handler(context)
    }

    /// `stripe-getPaymentIntentStatus` for `id`, as the harness's user unless `caller` is given.
    func status(_ id: String, caller: AuthenticatedUser? = nil) throws -> APIResponse {
        try call(
            "getPaymentIntentStatus", body: #"{"payment_intent_id":"\#(id)","recaptcha_token":"pass"}"#,
            caller: caller)
    }

    func createIntent(amount: Int = 1500) throws -> String {
        let response = try call(
            "getPaymentIntent", body: #"{"amount":\#(amount),"recaptcha_token":"pass","platform":"web"}"#)
        let json = try JSONValue.parse(response.body)
        return try #require(json["id"]?.stringValue)
    }

    func deliver(type: String, object: JSONValue, eventID: String = "evt_\(Int.random(in: 1...1_000_000_000))") throws
        -> APIResponse
    {
        let body = JSONValue.object([
            ("id", .string(eventID)), ("object", .string("event")), ("type", .string(type)),
            ("data", .object([("object", object)])),
        ]).serialized()
        let header = StripeSignature.header(secret: "whsec_unit", timestamp: services.now, body: Array(body.utf8))
        return try call("handleWebhookEvents", body: body, headers: ["stripe-signature": header], asUser: false)
    }
}

@Suite struct StripeGatewayTests {
    static let createBody = #"{"amount":1500,"recaptcha_token":"pass","platform":"web"}"#

    @Test func createIntentSendsTheSessionReferencesAndStoresTheLink() throws {
        let h = try StripeHarness()
        let response = try h.call(
            "getPaymentIntent", body: #"{"amount":1500,"recaptcha_token":"pass","platform":"web"}"#)
        #expect(response.status == 200)
        let json = try JSONValue.parse(response.body)
        let id = try #require(json["id"]?.stringValue)
        #expect(json["clientSecret"]?.stringValue == "\(id)_secret_x")
        #expect(json["publicKey"]?.stringValue == "pk_test_unit")
        let session = try #require(h.ledger.sessions.first)
        #expect(session.status == .pending && session.externalID == id && session.amount == Money(cents: 1500))
        let sent = try #require(h.transport.requests.first)
        #expect(
            sent.form["currency"] == "usd" && sent.form["capture_method"] == "manual" && sent.form["amount"] == "1500")
        #expect(sent.form["metadata[uid]"] == "user-1" && sent.form["metadata[session_id]"] == session.publicID)
        #expect(sent.header("Idempotency-Key") == "pi-create-\(session.publicID)")
        #expect(sent.header("Stripe-Version") == StripeConfiguration.apiVersion)
    }

    @Test(arguments: [
        #"{"amount":"1500","recaptcha_token":"pass"}"#, #"{"amount":15.5,"recaptcha_token":"pass"}"#,
        #"{"amount":499,"recaptcha_token":"pass"}"#, #"{"amount":100001,"recaptcha_token":"pass"}"#,
        #"{"amount":1500,"recaptcha_token":"nope"}"#, #"{"amount":1500,"recaptcha_token":"pass","platform":"tv"}"#,
        #"{"recaptcha_token":"pass"}"#, "not json",
    ])
    func badInputIs400AndCreatesNothing(body: String) throws {
        let h = try StripeHarness()
        #expect(clientError { try h.call("getPaymentIntent", body: body) } == .badRequest)
        #expect(h.ledger.sessions.isEmpty && h.transport.requests.isEmpty)
    }

    @Test func stripeFailureMarksTheSessionFailed() throws {
        let h = try StripeHarness()
        h.stripe.state.withLock { $0.failNext["/v1/payment_intents"] = 1 }
        #expect(clientError { try h.call("getPaymentIntent", body: Self.createBody) } == .gatewayUnavailable)
        #expect(h.ledger.sessions.map(\.status) == [.failed] && h.ledger.sessions.first?.externalID == nil)
    }

    @Test func anIntentForAnotherSessionIsRejected() throws {
        let h = try StripeHarness()
        h.stripe.state.withLock { $0.sessionOverride = "someone-else" }
        #expect(clientError { try h.call("getPaymentIntent", body: Self.createBody) } == .gatewayUnavailable)
        #expect(h.ledger.sessions.map(\.status) == [.failed] && h.ledger.sessions.first?.externalID == nil)
    }

    @Test func capturableUpdateCapturesOnceAndCredits() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        let object = h.stripe.intent(id).json
        let response = try h.deliver(type: "payment_intent.amount_capturable_updated", object: object, eventID: "evt_1")
        #expect(response.status == 200 && h.pushedRowIDs.count == 1)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: object, eventID: "evt_1")
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: object, eventID: "evt_2")
        #expect(h.stripe.state.withLock { $0.captureKeys } == ["pi-capture-\(id)-1"])
        #expect(h.ledger.rows.map(\.paymentID) == [id] && h.ledger.rows.first?.amount == Money(cents: 1500))
        #expect(h.ledger.sessions.first?.status == .paid)
        #expect(h.ledger.events.count == 2)
    }

    /// DESIGN §1.3: the capture happened at Stripe but its answer was lost. The intent is re-read, found
    /// succeeded and credited; it is never captured again.
    @Test func aCaptureWhoseAnswerWasLostIsReReadAndCreditedOnce() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        h.stripe.fault("/v1/payment_intents/\(id)/capture", .answerLost)
        let answer = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        #expect(answer.status == 200 && h.pushedRowIDs.count == 1)
        let (attempts, captures) = h.stripe.state.withLock { ($0.captureAttempts, $0.captureKeys) }
        #expect(attempts == ["pi-capture-\(id)-1"] && captures == ["pi-capture-\(id)-1"])
        #expect(h.stripe.intent(id).status == "succeeded")
        let calls = h.transport.requests.map { "\($0.method) \($0.url.dropFirst("https://stripe.test".count))" }
        #expect(calls.suffix(2) == ["POST /v1/payment_intents/\(id)/capture", "GET /v1/payment_intents/\(id)"])
        #expect(h.ledger.rows.map(\.paymentID) == [id] && h.ledger.rows.first?.amount == Money(cents: 1500))
        #expect(h.ledger.sessions.first?.status == .paid && h.ledger.events.count == 1)
        // Stripe's own payment_intent.succeeded then finds the credit in place.
        let succeeded = try h.deliver(type: "payment_intent.succeeded", object: h.stripe.intent(id).json)
        #expect(succeeded.status == 200 && h.pushedRowIDs.isEmpty && h.ledger.rows.count == 1)
    }

    /// A capture that failed without capturing — before Stripe, or inside Stripe, which then stores the 500 under
    /// the key — is re-read and retried under a new key suffix: the same key would only replay the failure.
    @Test(arguments: [FakeStripe.Fault.before, .stored])
    func aFailedCaptureIsRetriedWithANewKey(_ fault: FakeStripe.Fault) throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        h.stripe.fault("/v1/payment_intents/\(id)/capture", fault)
        let answer = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        #expect(answer.status == 200 && h.pushedRowIDs.count == 1)
        let (attempts, captures) = h.stripe.state.withLock { ($0.captureAttempts, $0.captureKeys) }
        #expect(attempts == ["pi-capture-\(id)-1", "pi-capture-\(id)-2"] && captures == ["pi-capture-\(id)-2"])
        #expect(h.ledger.rows.map(\.paymentID) == [id] && h.ledger.sessions.first?.status == .paid)
    }

    /// DESIGN §1.3: the capture succeeded but the ledger transaction did not commit. The webhook answers 503 and
    /// records nothing, so Stripe's retry of the same event finds the intent succeeded and credits it once.
    @Test func aCaptureWhoseLedgerCommitFailedIsCreditedByTheRetry() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        let object = h.stripe.intent(id).json
        h.ledger.failNextApply(.unavailable)
        let failed = clientError {
            try h.deliver(type: "payment_intent.amount_capturable_updated", object: object, eventID: "evt_cap")
        }
        #expect(failed == .serviceUnavailable)
        #expect(h.stripe.state.withLock { $0.captureKeys } == ["pi-capture-\(id)-1"])
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty && h.ledger.sessions.first?.status == .pending)
        let retried = try h.deliver(
            type: "payment_intent.amount_capturable_updated", object: object, eventID: "evt_cap")
        #expect(retried.status == 200 && h.pushedRowIDs.count == 1)
        #expect(h.stripe.state.withLock { $0.captureAttempts } == ["pi-capture-\(id)-1"])
        #expect(h.ledger.rows.map(\.paymentID) == [id] && h.ledger.sessions.first?.status == .paid)
        #expect(h.ledger.events["stripe|evt_cap"]?.outcome == "credited")
    }

    /// The same through the status route, and a COMMIT whose answer was lost after it did commit: 503, then the
    /// next call answers paid from the row already there; one capture, one row.
    @Test(arguments: [false, true])
    func aStatusCallWhoseLedgerCommitFailedIsCreditedByTheNextCall(committed: Bool) throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        h.ledger.failNextApply(committed ? .unknownOutcome : .unavailable, committed: committed)
        #expect(clientError { try h.status(id) } == .serviceUnavailable)
        #expect(h.ledger.rows.count == (committed ? 1 : 0))
        let next = try h.status(id)
        #expect(try JSONValue.parse(next.body)["status"]?.stringValue == "paid")
        #expect(h.pushedRowIDs.count == (committed ? 0 : 1))
        #expect(h.stripe.state.withLock { $0.captureAttempts } == ["pi-capture-\(id)-1"])
        #expect(h.ledger.rows.map(\.paymentID) == [id] && h.ledger.sessions.first?.status == .paid)
    }

    @Test func anOpenReviewHoldsTheCaptureUntilApproved() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id, review: true)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        #expect(h.ledger.rows.isEmpty && h.ledger.sessions.first?.status == .review)
        let status = try h.call(
            "getPaymentIntentStatus", body: #"{"payment_intent_id":"\#(id)","recaptcha_token":"pass"}"#)
        #expect(try JSONValue.parse(status.body)["status"]?.stringValue == "review")
        h.stripe.state.withLock {
            $0.reviews["prv_\(id)"] = .object([("id", .string("prv_\(id)")), ("open", .bool(false))])
        }
        let review: JSONValue = .object([
            ("id", .string("prv_\(id)")), ("object", .string("review")), ("open", .bool(false)),
            ("reason", .string("approved")), ("payment_intent", .string(id)),
        ])
        _ = try h.deliver(type: "review.closed", object: review)
        #expect(h.ledger.rows.count == 1 && h.stripe.intent(id).status == "succeeded")
    }

    @Test func aRejectedReviewCancelsWithoutCredit() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id, review: true)
        let review: JSONValue = .object([
            ("id", .string("prv_\(id)")), ("object", .string("review")), ("open", .bool(false)),
            ("reason", .string("refunded_as_fraud")), ("payment_intent", .string(id)),
        ])
        _ = try h.deliver(type: "review.closed", object: review)
        #expect(
            h.ledger.rows.isEmpty && h.stripe.intent(id).status == "canceled"
                && h.ledger.sessions.first?.status == .canceled)
    }

    @Test func succeededForAnotherUidOrCurrencyIsNotCredited() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        let paid = h.stripe.intent(id).json.setting("status", .string("succeeded")).setting(
            "amount_received", .int(1500))
        let foreign = paid.setting(
            "metadata",
            .object([("uid", .string("intruder")), ("session_id", paid.at("metadata.session_id") ?? .null)]))
        _ = try h.deliver(type: "payment_intent.succeeded", object: foreign)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.count == 1)
        _ = try h.deliver(type: "payment_intent.succeeded", object: paid.setting("currency", .string("eur")))
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.map(\.reason) == ["non-usd-payment"])
        _ = try h.deliver(type: "payment_intent.succeeded", object: paid)
        #expect(h.ledger.rows.count == 1)
    }

    /// `payment_intent.succeeded` is settled from the signed payload: no Stripe call and one ledger transaction, so a
    /// delivery costs no more than before the settlement engine; its replay is a duplicate and writes nothing.
    @Test func aSucceededIntentIsOneTransactionWithoutAStripeCall() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        let paid = h.stripe.intent(id).json.setting("status", .string("succeeded")).setting(
            "amount_received", .int(1500))
        let callsBefore = h.transport.requests.count
        let answer = try h.deliver(type: "payment_intent.succeeded", object: paid, eventID: "evt_ok")
        #expect(answer.status == 200 && h.pushedRowIDs.count == 1)
        #expect(h.transport.requests.count == callsBefore && h.ledger.applyCalls == 1)
        let replay = try h.deliver(type: "payment_intent.succeeded", object: paid, eventID: "evt_ok")
        #expect(replay.status == 200 && h.pushedRowIDs.isEmpty && h.ledger.rows.count == 1)
        #expect(h.ledger.events["stripe|evt_ok"]?.outcome == "credited" && h.ledger.applyCalls == 2)
    }

    @Test func forgedDeliveriesAre401AndRecordNothing() throws {
        let h = try StripeHarness()
        let body = #"{"id":"evt_forged","object":"event","type":"payment_intent.succeeded","data":{"object":{}}}"#
        let badHeader = StripeSignature.header(secret: "whsec_wrong", timestamp: h.services.now, body: Array(body.utf8))
        let wrongSecret = clientError {
            try h.call("handleWebhookEvents", body: body, headers: ["stripe-signature": badHeader], asUser: false)
        }
        #expect(wrongSecret == .unauthorized)
        #expect(clientError { try h.call("handleWebhookEvents", body: body, asUser: false) } == .unauthorized)
        #expect(h.ledger.events.isEmpty && h.ledger.applyCalls == 0)
    }

    /// A paid intent of `amount` and a maker of refund objects against it.
    private func paidIntent(_ h: StripeHarness, amount: Int) throws -> (String, (String, Int, String) -> JSONValue) {
        let id = try h.createIntent(amount: amount)
        h.stripe.authorize(id)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        let refund: (String, Int, String) -> JSONValue = { rid, cents, status in
            .object([
                ("id", .string(rid)), ("object", .string("refund")), ("amount", .int(cents)),
                ("status", .string(status)),
                ("currency", .string("usd")), ("payment_intent", .string(id)), ("charge", .string("ch_\(id)")),
            ])
        }
        return (id, refund)
    }

    @Test func refundsBookOncePerRefundAndReverseOnFailure() throws {
        let h = try StripeHarness()
        let (id, refund) = try paidIntent(h, amount: 2000)
        h.stripe.setRefund(refund("re_1", 500, "pending"))
        _ = try h.deliver(type: "refund.created", object: refund("re_1", 500, "pending"))
        #expect(h.ledger.rows.count == 1)
        h.stripe.setRefund(refund("re_1", 500, "succeeded"))
        _ = try h.deliver(type: "refund.updated", object: refund("re_1", 500, "succeeded"))
        _ = try h.deliver(type: "refund.updated", object: refund("re_1", 500, "succeeded"))
        h.stripe.setRefund(refund("re_2", 700, "succeeded"))
        _ = try h.deliver(
            type: "charge.refunded", object: .object([("id", .string("ch_\(id)")), ("object", .string("charge"))]))
        #expect(h.ledger.rows.map(\.amount.cents) == [2000, -500, -700])
        h.stripe.setRefund(refund("re_2", 700, "failed"))
        _ = try h.deliver(type: "refund.failed", object: refund("re_2", 700, "failed"))
        #expect(h.ledger.rows.last?.paymentID == "re_2-reversed" && h.ledger.rows.last?.amount.cents == 700)
        h.stripe.setRefund(refund("re_3", 1600, "succeeded"))
        _ = try h.deliver(type: "charge.refund.updated", object: refund("re_3", 1600, "succeeded"))
        #expect(h.ledger.rows.count == 4 && h.ledger.operatorItems.map(\.reason) == ["over-refund"])
    }

    /// Issue 6, item 5: `refund.failed` first, then Stripe retries an older `refund.created` whose snapshot says
    /// `succeeded`: the refund is re-read, found failed, and nothing is debited.
    @Test func aStaleSucceededSnapshotOfAFailedRefundBooksNothing() throws {
        let h = try StripeHarness()
        let (_, refund) = try paidIntent(h, amount: 2000)
        h.stripe.setRefund(refund("re_stale", 800, "failed"))
        _ = try h.deliver(type: "refund.failed", object: refund("re_stale", 800, "failed"))
        _ = try h.deliver(type: "refund.created", object: refund("re_stale", 800, "succeeded"))
        _ = try h.deliver(type: "refund.updated", object: refund("re_stale", 800, "succeeded"))
        #expect(h.ledger.rows.map(\.amount.cents) == [2000])
        let reread = h.transport.requests.filter { $0.method == "GET" && $0.url.hasSuffix("/v1/refunds/re_stale") }
        #expect(reread.count == 3)
        #expect(reread.allSatisfy { $0.header("Stripe-Version") == StripeConfiguration.apiVersion })
    }

    /// The re-read object is what gets booked: its amount, currency and PaymentIntent, never the event's.
    @Test func aRefundIsBookedFromTheReReadObject() throws {
        let h = try StripeHarness()
        let (id, refund) = try paidIntent(h, amount: 2000)
        h.stripe.setRefund(refund("re_real", 300, "succeeded"))
        let tampered = refund("re_real", 1900, "succeeded").setting("payment_intent", .string("pi_other"))
        _ = try h.deliver(type: "refund.created", object: tampered)
        #expect(h.ledger.rows.last?.paymentID == "re_real" && h.ledger.rows.last?.amount.cents == -300)
        #expect(h.ledger.rows.last?.refundOf == h.ledger.rows.first { $0.paymentID == id }?.id)
        h.stripe.setRefund(refund("re_eur", 100, "succeeded").setting("currency", .string("eur")))
        _ = try h.deliver(type: "refund.updated", object: refund("re_eur", 100, "succeeded"))
        #expect(h.ledger.rows.count == 2 && h.ledger.operatorItems.map(\.reason) == ["non-usd-refund"])
    }

    /// A refund Stripe does not know, or answers with a nonsensical amount, books nothing and goes to an operator;
    /// one beyond the payment is an over-refund.
    @Test(arguments: [
        ("missing", "unusable-refund"), ("-5", "unusable-refund"), ("0", "unusable-refund"),
        ("-9223372036854775808", "unusable-refund"), ("1e400", "unusable-refund"), ("12.5", "unusable-refund"),
        ("99999999999999999999", "unusable-refund"), ("9223372036854775807", "over-refund"),
    ])
    func anUnusableRefundBooksNothing(_ amount: String, _ reason: String) throws {
        let h = try StripeHarness()
        let (_, refund) = try paidIntent(h, amount: 2000)
        if amount != "missing" {
            h.stripe.setRefund(refund("re_odd", 100, "succeeded").setting("amount", .number(amount)))
        }
        let answer = try h.deliver(type: "refund.created", object: refund("re_odd", 100, "succeeded"))
        #expect(answer.status == 200)
        #expect(h.ledger.rows.count == 1)
        #expect(h.ledger.operatorItems.map(\.reason) == [reason])
    }

    @Test func aRefundBeforeItsPaymentAsksForARetry() throws {
        let h = try StripeHarness()
        let refund: JSONValue = .object([
            ("id", .string("re_x")), ("amount", .int(100)), ("status", .string("succeeded")),
            ("currency", .string("usd")), ("payment_intent", .string("pi_unknown")),
        ])
        h.stripe.setRefund(refund)
        #expect(clientError { try h.deliver(type: "refund.created", object: refund) } == .serviceUnavailable)
        #expect(h.ledger.events.isEmpty && h.ledger.rows.isEmpty)
    }

    @Test func disputesWithdrawAndReinstate() throws {
        let h = try StripeHarness()
        let id = try h.createIntent(amount: 2000)
        h.stripe.authorize(id)
        _ = try h.deliver(type: "payment_intent.amount_capturable_updated", object: h.stripe.intent(id).json)
        let dispute: JSONValue = .object([
            ("id", .string("du_1")), ("object", .string("dispute")), ("amount", .int(2000)),
            ("currency", .string("usd")), ("payment_intent", .string(id)),
        ])
        _ = try h.deliver(type: "charge.dispute.funds_withdrawn", object: dispute)
        _ = try h.deliver(type: "charge.dispute.funds_reinstated", object: dispute)
        #expect(h.ledger.rows.map(\.paymentID) == [id, "du_1", "du_1-reinstated"])
        #expect(h.ledger.rows.map(\.amount.cents) == [2000, -2000, 2000])
    }

    /// A withdrawn dispute whose amount is not a positive integer is never negated into a credit.
    @Test(arguments: ["-2000", "0", "-9223372036854775808", "1e400"])
    func aDisputeWithAnUnusableAmountGoesToAnOperator(_ amount: String) throws {
        let h = try StripeHarness()
        let (id, _) = try paidIntent(h, amount: 2000)
        let dispute: JSONValue = .object([
            ("id", .string("du_odd")), ("object", .string("dispute")), ("amount", .number(amount)),
            ("currency", .string("usd")), ("payment_intent", .string(id)),
        ])
        #expect(try h.deliver(type: "charge.dispute.funds_withdrawn", object: dispute).status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == [id])
        #expect(h.ledger.operatorItems.map(\.reason) == ["unusable-dispute"])
    }

    @Test func statusRouteCapturesRightAfterTheRedirect() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        let unpaid = try h.call(
            "getPaymentIntentStatus", body: #"{"payment_intent_id":"\#(id)","recaptcha_token":"pass"}"#)
        #expect(try JSONValue.parse(unpaid.body)["status"]?.stringValue == "unpaid")
        h.stripe.authorize(id)
        let paid = try h.call(
            "getPaymentIntentStatus", body: #"{"payment_intent_id":"\#(id)","recaptcha_token":"pass"}"#)
        #expect(try JSONValue.parse(paid.body)["status"]?.stringValue == "paid" && h.pushedRowIDs.count == 1)
        h.stripe.state.withLock { $0.failNext["/v1/payment_intents/\(id)"] = 10 }
        let fromLedger = try h.call(
            "getPaymentIntentStatus", body: #"{"payment_intent_id":"\#(id)","recaptcha_token":"pass"}"#)
        #expect(try JSONValue.parse(fromLedger.body)["status"]?.stringValue == "paid")
    }

    /// Another user's intent — authorised and ready to capture — is 404 to the caller and never touched at Stripe;
    /// an id no session has is 404 too.
    @Test func statusRouteHidesOtherUsersIntents() throws {
        let h = try StripeHarness()
        let id = try h.createIntent()
        h.stripe.authorize(id)
        let callsBefore = h.transport.requests.count
        let intruder = AuthenticatedUser(uid: "user-2", emailVerified: true, signInProvider: "google.com")
        #expect(clientError { try h.status(id, caller: intruder) } == .notFound)
        #expect(clientError { try h.status("pi_nobody", caller: intruder) } == .notFound)
        #expect(clientError { try h.status("pi_nobody") } == .notFound)
        #expect(h.transport.requests.count == callsBefore)
        #expect(h.stripe.intent(id).status == "requires_capture" && h.ledger.rows.isEmpty)
        #expect(h.ledger.sessions.map(\.status) == [.pending])
        // The owner's own call goes on to capture and credit it.
        #expect(try JSONValue.parse(try h.status(id).body)["status"]?.stringValue == "paid")
    }
}

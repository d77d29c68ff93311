import Foundation
import Gateways
import PaymentsCore
import PaymentsTestSupport
import Testing

/// The routes of an operator-configured gateway (DESIGN §2): sessions, idempotent crediting of the session's own
/// amount, under- and overpayments, refunds, failed statuses and forgeries, against the in-memory ledger.
@Suite struct CustomGatewayTests {
    static let checkout = "https://pay.acme.test/c?s={session_id}&a={amount}&d={amount_decimal}&ok={success_url}"

    /// A pending session of 10.00 and its `public_id`.
    func session(_ h: CustomGatewayHarness) throws -> String {
        try #require(try h.create()["session_id"]?.stringValue)
    }

    // MARK: - registry and configuration

    @Test func theRegistryAddsOneGatewayPerConfiguredIDBeforeTheCoreGroups() throws {
        let config = ConfigReader([
            "CUSTOM_GATEWAYS": "acme,shop_x", "GW_ACME_SCHEME": "hex", "GW_ACME_SECRET": "a",
            "GW_SHOP_X_SCHEME": "standard", "GW_SHOP_X_SECRET": CustomFixtures.standardSecret,
        ])
        let prefixes = try GatewayRegistry.enabled(in: config).map(\.prefix)
        #expect(prefixes == ["acme", "shop_x", "app", ""])
        let none = try GatewayRegistry.enabled(in: ConfigReader([:])).map(\.prefix)
        #expect(none == ["app", ""])
    }

    @Test(arguments: ["stripe", "gplay", "cryptomus", "app"])
    func anIDTakenByTheRegistryStopsStartUpNamingTheVariable(id: String) throws {
        let config = ConfigReader([
            "CUSTOM_GATEWAYS": id, "GW_\(id.uppercased())_SCHEME": "hex", "GW_\(id.uppercased())_SECRET": "a",
        ])
        #expect(throws: ConfigurationError.self) { try GatewayRegistry.enabled(in: config) }
        do {
            _ = try GatewayRegistry.enabled(in: config)
        } catch {
            #expect(error.variable == "CUSTOM_GATEWAYS")
        }
    }

    // MARK: - createPayment

    @Test func createPaymentWritesOnePendingSessionAndAnswersItsCheckoutLink() throws {
        let h = try CustomGatewayHarness(["CHECKOUT_URL": Self.checkout])
        let answer = try h.create(#"{"amount":1005,"success_url":"https://app.test/ok?x=1"}"#)
        let session = try #require(h.ledger.sessions.first)
        #expect(h.ledger.sessions.count == 1 && session.gateway == "acme" && session.uid == "user-1")
        #expect(session.status == .pending && session.externalID == session.publicID && session.currency == "USD")
        #expect(answer["session_id"] == .string(session.publicID) && answer["amount"] == .int(1005))
        #expect(answer["currency"] == .string("USD"))
        let expected =
            "https://pay.acme.test/c?s=\(session.publicID)&a=1005&d=10.05&ok=https%3A%2F%2Fapp.test%2Fok%3Fx%3D1"
        #expect(answer["url"] == .string(expected))
    }

    @Test func withoutACheckoutTemplateTheAnswerHasNoURL() throws {
        let h = try CustomGatewayHarness()
        #expect(try h.create()["url"] == nil)
    }

    @Test(arguments: [
        #"{"amount":499}"#, #"{"amount":100001}"#, #"{"amount":"1000"}"#, #"{"amount":10.5}"#, #"{}"#,
        #"{"amount":1000,"success_url":7}"#, #"{"amount":1000,"cancel_url":"https://a.test/x y"}"#,
    ])
    func invalidInputIs400AndWritesNoSession(body: String) throws {
        let h = try CustomGatewayHarness()
        #expect(clientError { try h.call("createPayment", body: Array(body.utf8)) } == .badRequest)
        #expect(h.ledger.sessions.isEmpty)
    }

    @Test func createPaymentNeedsAToken() throws {
        let h = try CustomGatewayHarness()
        let code = clientError { try h.call("createPayment", body: Array(#"{"amount":1000}"#.utf8), asUser: false) }
        #expect(code == .unauthorized && h.ledger.sessions.isEmpty)
    }

    // MARK: - paid

    @Test(arguments: ["hex", "sha256", "standard"])
    func aPaidEventCreditsTheSessionAmountOnceUnderThePrefixedPaymentID(scheme: String) throws {
        let h = try CustomGatewayHarness(scheme: scheme)
        let ref = try session(h)
        let body = CustomGatewayHarness.body(event: "evt_1", session: ref)
        let first = try h.deliver(body)
        #expect(first.status == 200 && first.body == Array(#"{"received":true}"#.utf8))
        #expect(try h.deliver(body).status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == ["acme-pay_1"] && h.ledger.rows.first?.amount == Money(cents: 1000))
        #expect(h.ledger.rows.first?.gateway == "acme" && h.ledger.rows.first?.uid == "user-1")
        #expect(h.ledger.sessions.first?.status == .paid)
        let eventID = scheme == "standard" ? "msg_1" : "evt_1"
        #expect(Array(h.ledger.events.keys) == ["acme|\(eventID)"])
        #expect(h.ledger.events["acme|\(eventID)"]?.outcome == "credited")
    }

    @Test func anotherEventForTheSamePaymentCreditsNothingMore() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref))
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_2", session: ref))
        #expect(h.ledger.rows.count == 1 && h.ledger.operatorItems.isEmpty)
    }

    @Test func aSecondPaymentOfACreditedSessionIsAnOperatorItem() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref))
        let second = try h.deliver(CustomGatewayHarness.body(event: "evt_2", session: ref, payment: "pay_2"))
        #expect(second.status == 200 && h.ledger.rows.map(\.paymentID) == ["acme-pay_1"])
        #expect(h.ledger.operatorItems.map(\.reason) == ["second-payment"])
        #expect(h.ledger.operatorItems.first?.reference == "acme-pay_2")
    }

    @Test(arguments: [
        (Int64(999), "usd", [Int64](), "underpayment", SessionStatus.failed),
        (1001, "usd", [1000], "overpayment", .paid),
        (1000, "eur", [], "non-usd-payment", .failed),
    ])
    func anotherAmountOrCurrencyIsAnOperatorItemAnswered200(
        amount: Int64, currency: String, rows: [Int64], reason: String, status: SessionStatus
    ) throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let response = try h.deliver(
            CustomGatewayHarness.body(event: "evt_1", session: ref, amount: amount, currency: currency))
        #expect(response.status == 200)
        #expect(h.ledger.rows.map(\.amount.cents) == rows && h.ledger.operatorItems.map(\.reason) == [reason])
        #expect(h.ledger.sessions.first?.status == status)
    }

    @Test func anUnknownSessionIsAnOperatorItemAnswered200() throws {
        let h = try CustomGatewayHarness()
        let response = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: "no-such-session"))
        #expect(response.status == 200 && h.ledger.rows.isEmpty)
        #expect(h.ledger.operatorItems.map(\.reason) == ["unknown-session"])
    }

    @Test func anotherGatewaysSessionIsUnknown() throws {
        let h = try CustomGatewayHarness()
        let other = try h.ledger.createSession(
            gateway: "stripe", uid: "user-1", amount: Money(cents: 1000), currency: "USD")
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: other.publicID))
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.map(\.reason) == ["unknown-session"])
    }

    @Test(arguments: [("failed", SessionStatus.failed), ("expired", .expired), ("canceled", .canceled)])
    func aFailedStatusClosesTheSession(status: String, closed: SessionStatus) throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let response = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref, status: status))
        #expect(response.status == 200 && h.ledger.rows.isEmpty && h.ledger.sessions.first?.status == closed)
    }

    @Test func otherStatusesAreRecordedWithoutEffect() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let response = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref, status: "processing"))
        #expect(response.status == 200 && h.ledger.rows.isEmpty && h.ledger.sessions.first?.status == .pending)
        #expect(h.ledger.events["acme|evt_1"]?.outcome == "ignored")
    }

    @Test func theReadmeWorkedExampleCreditsAndRefunds() throws {
        let h = try CustomGatewayHarness([
            "SIGNATURE_HEADER": "X-Acme-Signature", "EVENT_ID": "/event_id", "SESSION_REF": "/object/order",
            "PAYMENT_ID": "/object/payment", "AMOUNT": "/object/total", "AMOUNT_FORMAT": "decimal",
            "CURRENCY": "/object/currency", "STATUS": "/object/state", "PAID_STATUSES": "succeeded",
            "FAILED_STATUSES": "failed,expired", "REFUND_STATUSES": "refunded", "REFUND_ID": "/object/refund/id",
            "REFUND_AMOUNT": "/object/refund/total", "ALLOWED_IPS": "203.0.113.10,203.0.113.11",
            "CHECKOUT_URL":
                "https://checkout.acmepay.example/pay?ref={session_id}&amount={amount_decimal}&return={success_url}",
        ])
        let answer = try h.create(#"{"amount":1500,"success_url":"https://app.example/done"}"#)
        let ref = try #require(answer["session_id"]?.stringValue)
        #expect(
            answer["url"]
                == .string(
                    "https://checkout.acmepay.example/pay?ref=\(ref)&amount=15.00&return=https%3A%2F%2Fapp.example%2Fdone"
                ))
        let paid =
            #"{"event_id":"ev_81","object":{"payment":"ap_4411","order":"\#(ref)","total":"15.00","currency":"usd","state":"succeeded","refund":{"id":null,"total":null}}}"#
        #expect(try h.deliver(Array(paid.utf8), remote: "203.0.113.11").status == 200)
        let refunded =
            #"{"event_id":"ev_82","object":{"payment":"ap_4411","order":"\#(ref)","total":"15.00","currency":"usd","state":"refunded","refund":{"id":"r_1","total":"5.00"}}}"#
        #expect(try h.deliver(Array(refunded.utf8), remote: "203.0.113.10").status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == ["acme-ap_4411", "acme-r_1"])
        #expect(h.ledger.rows.map(\.amount.cents) == [1500, -500])
    }

    // MARK: - refunds

    @Test func aRefundIsBookedOnceAfterTheCredit() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let refund = CustomGatewayHarness.body(
            event: "evt_r", session: ref, status: "refunded", refund: (id: "rf_1", amount: 400))
        #expect(clientError { try h.deliver(refund) } == .serviceUnavailable)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref))
        #expect(try h.deliver(refund).status == 200)
        let again = CustomGatewayHarness.body(
            event: "evt_r2", session: ref, status: "refunded", refund: (id: "rf_1", amount: 400))
        #expect(try h.deliver(again).status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == ["acme-pay_1", "acme-rf_1"])
        #expect(h.ledger.rows.map(\.amount.cents) == [1000, -400] && h.ledger.sessions.first?.status == .paid)
    }

    @Test func aWholeRefundMarksTheSessionRefundedAndARefundBeyondIsAnOperatorItem() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref))
        _ = try h.deliver(
            CustomGatewayHarness.body(event: "evt_r1", session: ref, status: "refunded", refund: ("rf_1", 1000)))
        #expect(h.ledger.sessions.first?.status == .refunded)
        let beyond = try h.deliver(
            CustomGatewayHarness.body(event: "evt_r2", session: ref, status: "refunded", refund: ("rf_2", 1)))
        #expect(beyond.status == 200 && h.ledger.rows.map(\.amount.cents) == [1000, -1000])
        #expect(h.ledger.operatorItems.count == 1 && h.ledger.operatorItems.first?.reference == "acme-rf_2")
    }

    @Test func aRefundOfAnUncreditedClosedSessionIsAnOperatorItemNotARetry() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        _ = try h.deliver(CustomGatewayHarness.body(event: "evt_1", session: ref, amount: 900))
        let refund = try h.deliver(
            CustomGatewayHarness.body(event: "evt_r", session: ref, status: "refunded", refund: ("rf_1", 900)))
        #expect(refund.status == 200 && h.ledger.rows.isEmpty)
        #expect(h.ledger.operatorItems.map(\.reason) == ["underpayment", "refund-without-credit"])
    }

    // MARK: - forgeries

    @Test(arguments: ["hex", "sha256", "standard"])
    func aWrongSecretIs401WritesNothingAndDoesNotUseUpTheEvent(scheme: String) throws {
        let h = try CustomGatewayHarness(scheme: scheme)
        let ref = try session(h)
        let body = CustomGatewayHarness.body(event: "evt_1", session: ref)
        let wrong = scheme == "standard" ? "whsec_" + Data("another key".utf8).base64EncodedString() : "wrong"
        #expect(clientError { try h.deliver(body, secret: wrong) } == .unauthorized)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty && h.ledger.operatorItems.isEmpty)
        #expect(try h.deliver(body).status == 200 && h.ledger.rows.count == 1)
    }

    @Test func aTamperedOrUnsignedBodyIs401() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let genuine = CustomGatewayHarness.body(event: "evt_1", session: ref, amount: 1000)
        let signature = h.configuration.signature.headers(body: genuine, webhookID: "x", timestamp: 0)
        let headers = Dictionary(uniqueKeysWithValues: signature.map { ($0.0.lowercased(), $0.1) })
        for forged in [
            CustomGatewayHarness.body(event: "evt_1", session: ref, amount: 100_000),
            CustomGatewayHarness.body(event: "evt_1", session: ref, status: "refunded"),
        ] {
            let code = clientError {
                try h.call("handleWebhookEvents", body: forged, headers: headers, asUser: false)
            }
            #expect(code == .unauthorized)
        }
        #expect(clientError { try h.call("handleWebhookEvents", body: genuine, asUser: false) } == .unauthorized)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
    }

    @Test func standardTimestampsOutsideTheToleranceAre401() throws {
        let h = try CustomGatewayHarness(scheme: "standard")
        let ref = try session(h)
        let body = CustomGatewayHarness.body(event: "evt_1", session: ref)
        #expect(clientError { try h.deliver(body, timestamp: h.services.now - 301) } == .unauthorized)
        #expect(clientError { try h.deliver(body, timestamp: h.services.now + 301) } == .unauthorized)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
        #expect(try h.deliver(body, timestamp: h.services.now - 200).status == 200 && h.ledger.rows.count == 1)
    }

    @Test func aSourceOutsideTheAllowListIs403WhateverXForwardedForSays() throws {
        let h = try CustomGatewayHarness(["ALLOWED_IPS": "10.0.0.7"])
        let ref = try session(h)
        let body = CustomGatewayHarness.body(event: "evt_1", session: ref)
        let spoofed = ["x-forwarded-for": "10.0.0.7", "x-real-ip": "10.0.0.7"]
        #expect(clientError { try h.deliver(body, remote: "127.0.0.1", extraHeaders: spoofed) } == .forbidden)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
        #expect(try h.deliver(body, remote: "10.0.0.7").status == 200 && h.ledger.rows.count == 1)
    }

    @Test func aVerifiedBodyWithoutTheNeededFieldsIs400AndWritesNothing() throws {
        let h = try CustomGatewayHarness()
        let ref = try session(h)
        let body = CustomGatewayHarness.body(event: "evt_1", session: ref, amount: nil)
        #expect(clientError { try h.deliver(body) } == .badRequest)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
    }
}

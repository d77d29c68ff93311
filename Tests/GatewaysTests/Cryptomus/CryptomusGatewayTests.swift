import Foundation
import Gateways
import PaymentsCore
import PaymentsTestSupport
import Testing

@Suite struct CryptomusGatewayTests {
    @Test func createPaymentSignsTheExactBytesAndLinksTheInvoice() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create(amount: 1505)
        let session = try #require(h.ledger.sessions.first)
        #expect(session.status == .pending && session.externalID == uuid && session.amount == Money(cents: 1505))
        let sent = try #require(h.transport.requests.first)
        #expect(sent.url == "https://cryptomus.test/v1/payment" && h.cryptomus.state.withLock { $0.badSignatures } == 0)
        let body = try JSONValue.parse(sent.body)
        #expect(body["amount"] == .string("15.05") && body["currency"] == .string("USD"))
        #expect(body["order_id"] == .string(session.publicID))
        #expect(body["url_callback"] == .string("http://127.0.0.1:8080/api/cryptomus-handleWebhookEvents"))
        #expect(body["lifetime"] == .number("3600"))
        #expect(
            body["url_return"] == .string("https://shop.example/back")
                && body["url_success"] == .string("https://shop.example/ok"))
    }

    @Test(arguments: [
        ("url_return", #""url_return":"http://shop.example/back","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"https://evil.example/back","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"https://shop.example.evil.com/","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"https://shop.example@evil.com/","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"https://shop.example:8443/","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"javascript:alert(1)","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_return":"https://shop.example\\@evil.com/","url_success":"https://shop.example/ok""#),
        ("url_return", #""url_success":"https://shop.example/ok""#),
        ("url_success", #""url_return":"https://shop.example/back","url_success":"https://app.example/ok""#),
        ("url_success", #""url_return":"https://shop.example/back","url_success":"https://app.example:8443 /ok""#),
        ("url_success", #""url_return":"https://shop.example/back","url_success":7"#),
    ])
    func returnURLsOutsideTheAllowedOriginsAre400NamingTheField(field: String, urls: String) throws {
        let h = try CryptomusHarness()
        do {
            _ = try h.call("createPayment", body: #"{"amount":1500,\#(urls)}"#)
            Issue.record("accepted \(urls)")
        } catch let error as APIError {
            #expect(error.code == .badRequest && error.message.hasPrefix(field))
        }
        #expect(h.ledger.sessions.isEmpty && h.transport.requests.isEmpty)
    }

    @Test func allowedOriginsMatchOnSchemeHostAndPortOnly() throws {
        let h = try CryptomusHarness()
        let body =
            #"{"amount":1500,"url_return":"https://SHOP.example:443/a?b=c#d","url_success":"https://app.example:8443/done"}"#
        #expect(try h.call("createPayment", body: body).status == 200)
    }

    @Test func anInvoiceForAnotherOrderOrAFailureMarksTheSessionFailed() throws {
        let h = try CryptomusHarness()
        h.cryptomus.state.withLock { $0.orderOverride = "someone-else" }
        #expect(clientError { try h.create() } == .gatewayUnavailable)
        #expect(h.ledger.sessions.first?.status == .failed && h.ledger.sessions.first?.externalID == nil)
        h.cryptomus.state.withLock {
            $0.orderOverride = nil
            $0.failNext["/v1/payment"] = 1
        }
        #expect(clientError { try h.create() } == .gatewayUnavailable)
        #expect(h.ledger.sessions.last?.status == .failed)
    }

    @Test func paidCreditsTheInvoiceOnceUnderTheUUID() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create(amount: 1500)
        let first = try h.pay(uuid, paidUSD: "15.00000000")
        #expect(
            first.status == 200 && first.body == Array(#"{"received":true}"#.utf8) && h.pushedRowIDs.count == 1)
        let again = try h.deliver(uuid, status: "paid", paidUSD: "15.00000000")
        #expect(again.status == 200 && h.pushedRowIDs.isEmpty)
        #expect(h.ledger.rows.map(\.paymentID) == [uuid] && h.ledger.rows.first?.amount == Money(cents: 1500))
        #expect(h.ledger.rows.first?.gateway == "cryptomus" && h.ledger.rows.first?.uid == "user-1")
        #expect(h.ledger.sessions.first?.status == .paid && Array(h.ledger.events.keys) == ["cryptomus|\(uuid):paid"])
    }

    @Test(arguments: [
        // (invoice cents, status, payment_amount_usd, overpayment flag, credited cents)
        (1500, "paid_over", "20.00", false, 1500),
        (1500, "paid_over", "20.019", true, 2001),
        (1600, "paid", "15.009", false, 1500),
        (1600, "paid", "15.009", true, 1500),
        (1500, "paid", "15.00000001", false, 1500),
        (1500, "paid", "14.999999", false, 1499),
    ])
    func creditedAmountIsTheFlooredUSDValueCappedAtTheInvoice(
        invoice: Int, status: String, paid: String, overpayment: Bool,
        credited: Int64
    ) throws {
        let h = try CryptomusHarness(["CRYPTOMUS_CREDIT_OVERPAYMENT": overpayment ? "true" : "false"])
        let uuid = try h.create(amount: invoice)
        _ = try h.pay(uuid, status: status, paidUSD: paid)
        #expect(h.ledger.rows.map(\.amount.cents) == [credited])
    }

    @Test func aReReadThatDisagreesIs503AndWritesNothing() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create()
        h.cryptomus.set(uuid, status: "confirm_check")
        #expect(statusOf { try h.deliver(uuid, status: "paid", paidUSD: "15.00") } == 503)
        h.cryptomus.set(uuid, status: "paid", paidUSD: "15.00", isFinal: false)
        #expect(statusOf { try h.deliver(uuid, status: "paid", paidUSD: "15.00") } == 503)
        h.cryptomus.set(uuid, status: "paid", paidUSD: "15.00")
        let foreign = h.cryptomus.invoice(uuid).setting("order_id", .string("other-order"))
        h.cryptomus.state.withLock { $0.infoOverride[uuid] = foreign }
        #expect(statusOf { try h.deliver(uuid, status: "paid", paidUSD: "15.00") } == 503)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty && h.ledger.sessions.first?.status == .pending)
        h.cryptomus.state.withLock { $0.infoOverride = [:] }
        _ = try h.deliver(uuid, status: "paid", paidUSD: "15.00")
        #expect(h.pushedRowIDs.count == 1)
    }

    @Test func wrongAmountCreditsNothingAndGoesToAnOperator() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create()
        h.cryptomus.set(uuid, status: "wrong_amount", paidUSD: "7.50")
        #expect(try h.deliver(uuid, status: "wrong_amount", paidUSD: "7.50").status == 200)
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.map(\.reason) == ["cryptomus-wrong-amount"])
        #expect(h.ledger.operatorItems.first?.reference == uuid && h.ledger.sessions.first?.status == .failed)
    }

    @Test func refundPaidTakesBackTheCreditedAmountOnce() throws {
        let h = try CryptomusHarness(["CRYPTOMUS_CREDIT_OVERPAYMENT": "true"])
        let uuid = try h.create(amount: 1500)
        _ = try h.pay(uuid, status: "paid_over", paidUSD: "16.25")
        _ = try h.deliver(uuid, status: "refund_process", isFinal: false)
        #expect(h.pushedRowIDs.isEmpty)
        _ = try h.deliver(uuid, status: "refund_paid")
        #expect(h.pushedRowIDs.count == 1)
        _ = try h.deliver(uuid, status: "refund_paid")
        #expect(h.pushedRowIDs.isEmpty)
        h.ledger.events["cryptomus|\(uuid):refund_paid"] = nil
        _ = try h.deliver(uuid, status: "refund_paid")
        #expect(h.pushedRowIDs.isEmpty)
        #expect(h.ledger.rows.map(\.paymentID) == [uuid, "\(uuid)-refund"])
        #expect(
            h.ledger.rows.map(\.amount.cents) == [1625, -1625]
                && h.ledger.rows.last?.refundOf == h.ledger.rows.first?.id)
        #expect(h.ledger.sessions.first?.status == .refunded)
    }

    @Test func aRefundBeforeItsPaymentAsksForARetry() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create()
        #expect(statusOf { try h.deliver(uuid, status: "refund_paid") } == 503)
        #expect(h.ledger.rows.isEmpty && h.ledger.events.isEmpty)
    }

    @Test func forgeriesAre401AndTheGenuineDeliveryStillCredits() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create()
        h.cryptomus.set(uuid, status: "paid", paidUSD: "15.00")
        #expect(statusOf { try h.deliver(uuid, status: "paid", paidUSD: "15.00", key: "wrong-key") } == 401)
        let tampered = h.webhookBody(uuid, status: "paid", paidUSD: "15.00").replacingOccurrences(
            of: "\"15.00\"", with: "\"150.00\"")
        #expect(statusOf { try h.call("handleWebhookEvents", body: tampered, asUser: false) } == 401)
        #expect(statusOf { try h.call("handleWebhookEvents", body: "not json", asUser: false) } == 401)
        #expect(
            statusOf { try h.call("handleWebhookEvents", body: #"{"uuid":"\#(uuid)","status":"paid"}"#, asUser: false) }
                == 401)
        #expect(h.ledger.events.isEmpty && h.ledger.rows.isEmpty)
        _ = try h.deliver(uuid, status: "paid", paidUSD: "15.00")
        #expect(h.pushedRowIDs.count == 1)
    }

    @Test func theSourceAllowListUsesTheRemoteAddressOnly() throws {
        let h = try CryptomusHarness(["CRYPTOMUS_ALLOWED_IPS": "91.227.144.54"])
        let uuid = try h.create()
        h.cryptomus.set(uuid, status: "paid", paidUSD: "15.00")
        let body = h.webhookBody(uuid, status: "paid", paidUSD: "15.00")
        #expect(
            statusOf {
                try h.call(
                    "handleWebhookEvents", body: body,
                    headers: ["x-forwarded-for": "91.227.144.54", "x-real-ip": "91.227.144.54"],
                    asUser: false)
            } == 403)
        #expect(h.ledger.events.isEmpty && h.transport.requests.count == 1)
        #expect(
            try h.call("handleWebhookEvents", body: body, remote: "::ffff:91.227.144.54", asUser: false).status == 200)
        #expect(h.ledger.rows.count == 1)
    }

    @Test func closingAndWaitingStatusesMoveOnlyTheSession() throws {
        let h = try CryptomusHarness()
        let expired = try h.create()
        let failed = try h.create()
        let waiting = try h.create()
        _ = try h.deliver(expired, status: "cancel")
        _ = try h.deliver(failed, status: "system_fail")
        _ = try h.deliver(waiting, status: "confirm_check", isFinal: false)
        #expect(h.ledger.sessions.map(\.status) == [.expired, .failed, .pending])
        #expect(h.ledger.rows.isEmpty && h.ledger.events.count == 3)
        h.cryptomus.set(waiting, status: "paid", paidUSD: "15.00")
        _ = try h.deliver(waiting, status: "paid", paidUSD: "15.00")
        _ = try h.deliver(waiting, status: "cancel")
        #expect(h.ledger.sessions.last?.status == .paid)
    }

    @Test func reconcileSettlesMissedWebhooksThroughTheSamePath() throws {
        let h = try CryptomusHarness()
        let paid = try h.create(amount: 2000)
        let expired = try h.create()
        let waiting = try h.create()
        h.cryptomus.set(paid, status: "paid_over", paidUSD: "25.00")
        h.cryptomus.set(expired, status: "cancel")
        #expect(try h.reconcile(0) == .credited)
        #expect(try h.reconcile(0) == .credited)
        #expect(try h.reconcile(1) == .closed(.expired))
        #expect(try h.reconcile(2) == .unchanged)
        #expect(h.ledger.rows.map(\.paymentID) == [paid] && h.ledger.rows.first?.amount == Money(cents: 2000))
        #expect(h.ledger.sessions.map(\.status) == [.paid, .expired, .pending] && h.ledger.events.isEmpty)
        _ = waiting
    }

    @Test func reconcileFindsAnInvoiceWhoseCreationAnswerWasLost() throws {
        let h = try CryptomusHarness()
        let uuid = try h.create()
        h.ledger.sessions[0].externalID = nil
        h.ledger.sessions[0].status = .creating
        #expect(try h.reconcile() == .unchanged)
        #expect(h.ledger.sessions[0].externalID == uuid && h.ledger.sessions[0].status == .pending)
        let orphan = try h.ledger.createSession(
            gateway: "cryptomus", uid: "user-1", amount: Money(cents: 900), currency: "USD")
        #expect(try h.gateway.reconcile(orphan, ledger: h.ledger, logger: .init(label: "test")) == .closed(.failed))
    }

    @Test func publicKeyAndConfigurationChecks() throws {
        let h = try CryptomusHarness()
        #expect(
            h.gateway.publicKeys.map(\.0) == ["cryptomusMerchantId"]
                && h.gateway.publicKeys.map(\.1) == [FakeCryptomus.merchant])
        for (key, value) in [
            ("CRYPTOMUS_INVOICE_LIFETIME_SECONDS", "299"), ("CRYPTOMUS_INVOICE_LIFETIME_SECONDS", "43201"),
            ("CRYPTOMUS_RETURN_ORIGINS", ""), ("CRYPTOMUS_RETURN_ORIGINS", "http://shop.example"),
            ("CRYPTOMUS_RETURN_ORIGINS", "https://shop.example/path"), ("CRYPTOMUS_PAYMENT_KEY", ""),
            ("CRYPTOMUS_MERCHANT_ID", ""), ("CRYPTOMUS_CREDIT_OVERPAYMENT", "maybe"),
            ("CRYPTOMUS_API_BASE", "https://api.example/v1"),
        ] {
            do {
                _ = try CryptomusHarness([key: value])
                Issue.record("\(key)=\(value) accepted")
            } catch let error as ConfigurationError {
                #expect(error.variable == key)
            }
        }
        #expect(throws: Never.self) { try CryptomusHarness(["CRYPTOMUS_INVOICE_LIFETIME_SECONDS": "43200"]) }
    }
}

import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

@testable import Gateways

/// Anypay's routes against the in-memory ledger: the signed form `anypay-createPayment` answers, and notifications
/// (POST form and GET query) signed independently of the code under test.
@Suite struct AnypayGatewayTests {
    static let secret = "anypay_test_secret"
    static let config = [
        "ANYPAY_MERCHANT_ID": "13990", "ANYPAY_SECRET_KEY": secret, "ANYPAY_API_ID": "API1",
        "ANYPAY_API_KEY": "k", "ANYPAY_ALLOWED_IPS": "127.0.0.1",
    ]
    let harness: FormGatewayHarness

    init() throws {
        harness = try FormGatewayHarness(AnypayGateway.registration, config: Self.config)
    }

    func payment(_ amount: Int = 2500) throws -> JSONValue {
        try harness.create("createPayment", #"{"amount":\#(amount)}"#)
    }

    /// A notification for `payID`, signed with `secret` (sha256 of currency:amount:pay_id:merchant_id:status:key).
    static func notification(
        _ payID: String, transaction: String = "5550001", amount: String = "25.00", currency: String = "USD",
        status: String = "paid", test: Bool = false, secret: String = secret,
        tamper: (inout [(String, String)]) -> Void = { _ in }
    ) -> [(String, String)] {
        var fields = [
            ("merchant_id", "13990"), ("transaction_id", transaction), ("pay_id", payID), ("amount", amount),
            ("currency", currency), ("profit", "23.75"), ("email", "payer@example.com"), ("method", "card"),
            ("status", status), ("test", test ? "1" : "0"),
        ]
        fields.append(("sign", FormGatewayHarness.sha256([currency, amount, payID, "13990", status, secret])))
        tamper(&fields)
        return fields
    }

    @Test func createPaymentAnswersTheSignedFormAndWritesOnePendingSession() throws {
        let answer = try payment()
        let payID = try #require(answer["pay_id"]?.stringValue)
        #expect(payID.count == 15 && payID.allSatisfy(\.isASCIIDigit))
        let session = try #require(harness.ledger.sessions.first)
        #expect(harness.ledger.sessions.count == 1 && session.externalID == payID && session.status == .pending)
        #expect(session.amount.cents == 2500 && session.uid == "user-1")
        #expect(answer["merchant_id"]?.stringValue == "13990" && answer["amount"]?.stringValue == "25.00")
        #expect(answer["currency"]?.stringValue == "USD" && answer["desc"]?.stringValue == "Balance top-up")
        #expect(answer["success_url"]?.stringValue == "" && answer["fail_url"]?.stringValue == "")
        let expected = FormGatewayHarness.sha256([
            "13990", payID, "25.00", "USD", "Balance top-up", "", "", Self.secret,
        ])
        #expect(answer["sign"]?.stringValue == expected)
    }

    @Test(arguments: [#"{"amount":499}"#, #"{"amount":100001}"#, #"{"amount":"2500"}"#, #"{}"#])
    func createPaymentRefusesBadAmountsWith400(body: String) {
        #expect(statusOf { try harness.call("createPayment", body: body) } == 400)
        #expect(harness.ledger.sessions.isEmpty)
        #expect(statusOf { try harness.call("createPayment", body: #"{"amount":1000}"#, asUser: false) } == 401)
    }

    @Test(arguments: ["POST", "GET"])
    func aSignedPaidNotificationCreditsOnceByPostOrGet(method: String) throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        for _ in 0..<3 {
            let (status, body) = harness.deliver(Self.notification(payID), method: method)
            #expect(status == 200 && body == "OK")
        }
        #expect(harness.ledger.rows.map(\.paymentID) == ["anypay-5550001"])
        #expect(harness.ledger.rows.first?.amount.cents == 2500 && harness.ledger.sessions.first?.status == .paid)
        #expect(harness.ledger.events["anypay|5550001:paid"]?.outcome == "credited")
        // The raw notification is kept for audit whichever way it came: a GET's query fields, form-encoded.
        let kept = String(decoding: harness.ledger.events["anypay|5550001:paid"]?.payload ?? [], as: UTF8.self)
        #expect(kept.contains("pay_id=\(payID)") && kept.contains("sign="), "\(kept)")
    }

    @Test(arguments: ["wrong-secret", "amount", "status", "missing-sign", "swapped", "md5", "merchant"])
    func aForgeryIsRefused401AndTheGenuineStillCredits(forgery: String) throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        let forged = Self.notification(
            payID, status: forgery == "status" ? "canceled" : "paid",
            secret: forgery == "wrong-secret" ? "guess" : Self.secret
        ) { fields in
            switch forgery {
            case "amount": fields[3].1 = "2.50"
            case "status": fields[8].1 = "paid"
            case "missing-sign": fields.removeLast()
            case "swapped":
                fields[10].1 = FormGatewayHarness.sha256(["25.00", "USD", payID, "13990", "paid", Self.secret])
            case "md5":
                fields[10].1 = Hex.encode(Digest.md5(Array("13990:25.00:\(payID):\(Self.secret)".utf8)))
            case "merchant": fields[0].1 = "1"
            default: break
            }
        }
        let (status, body) = harness.deliver(forged)
        #expect(status == 401 && body != "OK")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.events.isEmpty && harness.ledger.operatorItems.isEmpty)
        #expect(harness.deliver(Self.notification(payID)).0 == 200)
        #expect(harness.ledger.rows.map(\.amount.cents) == [2500])
    }

    @Test func aSourceOutsideTheAllowListIs403AndWritesNothing() throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        let (status, body) = harness.deliver(Self.notification(payID), remote: "185.162.128.38")
        #expect(status == 403 && body == "ForbiddenException")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.events.isEmpty)
    }

    @Test func aTestNotificationCreditsNothingAndDoesNotBlockTheGenuineOne() throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        #expect(harness.deliver(Self.notification(payID, test: true)) == (200, "OK"))
        #expect(harness.ledger.rows.isEmpty && harness.ledger.events["anypay|5550001:paid:test"]?.outcome == "test")
        #expect(harness.deliver(Self.notification(payID)) == (200, "OK"))
        #expect(harness.ledger.rows.count == 1)
    }

    @Test(arguments: [("25.01", "USD", "amount-mismatch"), ("25.00", "RUB", "non-usd-payment")])
    func aMismatchCreditsNothingAndGoesToAnOperatorAnswered200(amount: String, currency: String, reason: String)
        throws
    {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        #expect(harness.deliver(Self.notification(payID, amount: amount, currency: currency)) == (200, "OK"))
        #expect(harness.ledger.rows.isEmpty && harness.ledger.operatorItems.map(\.reason) == [reason])
        #expect(harness.ledger.sessions.first?.status == .failed)
    }

    @Test func aSecondTransactionForTheSamePayIDCreditsNothing() throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        #expect(harness.deliver(Self.notification(payID, transaction: "1")) == (200, "OK"))
        #expect(harness.deliver(Self.notification(payID, transaction: "2")) == (200, "OK"))
        #expect(harness.ledger.rows.map(\.paymentID) == ["anypay-1"])
        #expect(harness.ledger.operatorItems.map(\.reason) == ["second-payment"])
    }

    @Test(arguments: [
        ("canceled", SessionStatus.canceled), ("expired", .expired), ("error", .failed), ("waiting", .pending),
    ])
    func unpaidStatusesMoveTheSessionAndNever5xx(status: String, session: SessionStatus) throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        #expect(harness.deliver(Self.notification(payID, status: status)) == (200, "OK"))
        #expect(harness.ledger.sessions.first?.status == session && harness.ledger.rows.isEmpty)
        #expect(harness.deliver(Self.notification("999", transaction: "6", status: status)) == (200, "OK"))
        #expect(harness.deliver(Self.notification("998", transaction: "7")) == (200, "OK"))
        #expect(harness.ledger.operatorItems.map(\.reason) == ["unknown-order"])
    }

    @Test func aRefundTakesTheWholePaymentBackOnceAfterTheCredit() throws {
        let payID = try #require(try payment()["pay_id"]?.stringValue)
        #expect(harness.deliver(Self.notification(payID, status: "refund")).0 == 503)
        #expect(harness.deliver(Self.notification(payID)) == (200, "OK"))
        for _ in 0..<2 { #expect(harness.deliver(Self.notification(payID, status: "refund")) == (200, "OK")) }
        #expect(harness.ledger.rows.map(\.amount.cents) == [2500, -2500])
        #expect(harness.ledger.rows.last?.paymentID == "anypay-5550001-refund")
        #expect(harness.ledger.sessions.first?.status == .refunded)
    }
}

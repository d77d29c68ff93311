import PaymentsCore
import PaymentsTestSupport
import Signing
import Testing

@testable import Gateways

/// Payeer's routes against the in-memory ledger: the signed form `payeer-createOrder` answers, and status
/// notifications signed independently of the code under test (genuine, forged, mismatched, repeated).
@Suite struct PayeerGatewayTests {
    static let secret = "payeer_test_secret"
    static let config = [
        "PAYEER_SHOP_ID": "287402376", "PAYEER_SECRET_KEY": secret, "PAYEER_PARAMS_KEY": "payeer_params",
        "PAYEER_ALLOWED_IPS": "127.0.0.1",
    ]
    let harness: FormGatewayHarness

    init() throws {
        harness = try FormGatewayHarness(PayeerGateway.registration, config: Self.config)
    }

    /// Creates an order of `amount` cents; returns the answer.
    func order(_ amount: Int = 1234) throws -> JSONValue {
        try harness.create(
            "createOrder",
            #"{"amount":\#(amount),"success_url":"https://shop.example/ok","fail_url":"https://shop.example/no"}"#)
    }

    /// A status notification for `orderID`, signed with `secret` over the fields as sent, then changed by `tamper`.
    static func notification(
        _ orderID: String, operation: String = "1900000001", amount: String = "12.34", currency: String = "USD",
        status: String = "success", secret: String = secret, tamper: (inout [(String, String)]) -> Void = { _ in }
    ) -> [(String, String)] {
        var fields = [
            ("m_operation_id", operation), ("m_operation_ps", "2609"), ("m_operation_date", "05.12.2026 10:00:00"),
            ("m_operation_pay_date", "05.12.2026 10:01:00"), ("m_shop", "287402376"), ("m_orderid", orderID),
            ("m_amount", amount), ("m_curr", currency), ("m_desc", "QmFsYW5jZSB0b3AtdXA="), ("m_status", status),
        ]
        fields.append(("m_sign", FormGatewayHarness.sha256(fields.map(\.1) + [secret]).uppercased()))
        tamper(&fields)
        return fields
    }

    @Test func createOrderAnswersTheSignedFormAndWritesOnePendingSession() throws {
        let answer = try order()
        let orderID = try #require(answer["m_orderid"]?.stringValue)
        let session = try #require(harness.ledger.sessions.first)
        #expect(harness.ledger.sessions.count == 1 && session.publicID == orderID && session.externalID == orderID)
        #expect(session.status == .pending && session.amount.cents == 1234 && session.uid == "user-1")
        #expect(answer["m_shop"]?.stringValue == "287402376" && answer["m_amount"]?.stringValue == "12.34")
        #expect(answer["m_curr"]?.stringValue == "USD" && answer["m_cipher_method"]?.stringValue == "AES-256-CBC")
        let description = try #require(answer["m_desc"]?.stringValue)
        #expect(Base64.decode(description).map { String(decoding: $0, as: UTF8.self) } == "Balance top-up")
        let params = try #require(answer["m_params"]?.stringValue)
        let expected = FormGatewayHarness.sha256([
            "287402376", orderID, "12.34", "USD", description, params, Self.secret,
        ])
        #expect(answer["m_sign"]?.stringValue == expected.uppercased())
        #expect(!orderID.contains(":") && !orderID.contains("|"))
        #expect(
            try harness.create(
                "createOrder", #"{"amount":500,"success_url":"https://a.example/","fail_url":"https://a.example/"}"#)[
                    "m_orderid"] != answer["m_orderid"])
    }

    @Test(arguments: [
        #"{"amount":499,"success_url":"https://a.example/","fail_url":"https://a.example/"}"#,
        #"{"amount":100001,"success_url":"https://a.example/","fail_url":"https://a.example/"}"#,
        #"{"amount":"1000","success_url":"https://a.example/","fail_url":"https://a.example/"}"#,
        #"{"amount":1000.5,"success_url":"https://a.example/","fail_url":"https://a.example/"}"#,
        #"{"amount":1000,"fail_url":"https://a.example/"}"#,
        #"{"amount":1000,"success_url":"javascript:alert(1)","fail_url":"https://a.example/"}"#,
    ])
    func createOrderRefusesBadInputWith400AndWritesNothing(body: String) {
        #expect(statusOf { try harness.call("createOrder", body: body) } == 400)
        #expect(harness.ledger.sessions.isEmpty)
    }

    @Test func createOrderNeedsAToken() {
        let body = #"{"amount":1000,"success_url":"https://a.example/","fail_url":"https://a.example/"}"#
        #expect(statusOf { try harness.call("createOrder", body: body, asUser: false) } == 401)
        #expect(harness.ledger.sessions.isEmpty)
    }

    @Test func aSignedSuccessCreditsTheSessionAmountOnce() throws {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        let genuine = Self.notification(orderID)
        for _ in 0..<3 {
            let (status, body) = harness.deliver(genuine)
            #expect(status == 200 && body == "\(orderID)|success")
        }
        #expect(harness.ledger.rows.map(\.paymentID) == ["payeer-1900000001"])
        #expect(harness.ledger.rows.first?.amount.cents == 1234 && harness.ledger.rows.first?.uid == "user-1")
        #expect(harness.ledger.sessions.first?.status == .paid)
        #expect(harness.ledger.events["payeer|1900000001"]?.outcome == "credited")
    }

    @Test(arguments: ["wrong-secret", "amount", "status", "missing-sign", "swapped", "shop"])
    func aForgeryIsRefused401WithErrorWritesNothingAndTheGenuineStillCredits(forgery: String) throws {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        let forged = Self.notification(
            orderID, status: forgery == "status" ? "fail" : "success",
            secret: forgery == "wrong-secret" ? "guess" : Self.secret
        ) { fields in
            switch forgery {
            case "amount": fields[6].1 = "99.99"
            case "status": fields[9].1 = "success"
            case "missing-sign": fields.removeLast()
            case "swapped":
                var values = fields.dropLast().map(\.1)
                values.swapAt(6, 7)
                fields[10].1 = FormGatewayHarness.sha256(values + [Self.secret]).uppercased()
            case "shop": fields[4].1 = "1"
            default: break
            }
        }
        let (status, body) = harness.deliver(forged)
        #expect(status == 401 && body == "\(orderID)|error")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.events.isEmpty && harness.ledger.operatorItems.isEmpty)
        #expect(harness.deliver(Self.notification(orderID)).0 == 200)
        #expect(harness.ledger.rows.map(\.amount.cents) == [1234])
    }

    @Test func aSourceOutsideTheAllowListIs403WithErrorAndWritesNothing() throws {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        let (status, body) = harness.deliver(Self.notification(orderID), remote: "10.1.2.3")
        #expect(status == 403 && body == "\(orderID)|error")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.events.isEmpty)
    }

    @Test(arguments: [("12.35", "USD", "amount-mismatch"), ("12.34", "EUR", "non-usd-payment")])
    func aMismatchCreditsNothingAndGoesToAnOperatorAnswered200(amount: String, currency: String, reason: String)
        throws
    {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        let (status, body) = harness.deliver(Self.notification(orderID, amount: amount, currency: currency))
        #expect(status == 200 && body == "\(orderID)|success")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.operatorItems.map(\.reason) == [reason])
        #expect(harness.ledger.operatorItems.first?.reference == "payeer-1900000001")
    }

    @Test func aSecondPaidOperationForTheSameOrderCreditsNothing() throws {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        #expect(harness.deliver(Self.notification(orderID, operation: "11")).0 == 200)
        let (status, body) = harness.deliver(Self.notification(orderID, operation: "12"))
        #expect(status == 200 && body == "\(orderID)|success")
        #expect(harness.ledger.rows.map(\.paymentID) == ["payeer-11"])
        #expect(harness.ledger.operatorItems.map(\.reason) == ["second-payment"])
    }

    @Test func anUnknownOrderIs200AndAnOperatorItem() {
        let (status, body) = harness.deliver(Self.notification("no-such-order"))
        #expect(status == 200 && body == "no-such-order|success")
        #expect(harness.ledger.rows.isEmpty && harness.ledger.operatorItems.map(\.reason) == ["unknown-order"])
        #expect(harness.deliver(Self.notification("other", operation: "7", status: "fail")).0 == 200)
        #expect(harness.ledger.operatorItems.count == 1)
    }

    @Test func aFailedOperationClosesTheSessionAndALaterSuccessStillCredits() throws {
        let orderID = try #require(try order()["m_orderid"]?.stringValue)
        #expect(harness.deliver(Self.notification(orderID, operation: "21", status: "fail")).0 == 200)
        #expect(harness.ledger.sessions.first?.status == .failed && harness.ledger.rows.isEmpty)
        #expect(harness.deliver(Self.notification(orderID, operation: "22")).0 == 200)
        #expect(harness.ledger.sessions.first?.status == .paid && harness.ledger.rows.count == 1)
    }
}

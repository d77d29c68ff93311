import Foundation
import Gateways
import PaymentsCore
import Testing

/// Reading verified notifications with the configured pointers, amount formats and status classes.
@Suite struct CustomNotificationTests {
    static func parse(
        _ body: String, webhookID: String? = nil, configuration: CustomGatewayConfiguration
    ) throws(CustomNotification.Failure) -> CustomNotification {
        try CustomNotification(body: Array(body.utf8), webhookID: webhookID, configuration: configuration)
    }

    @Test func paidEventInTheDefaultLayout() throws {
        let event = try Self.parse(CustomFixtures.paidBody, configuration: CustomFixtures.configuration())
        #expect(event.eventID == "evt_1")
        #expect(event.status == "paid")
        #expect(event.statusClass == .paid)
        #expect(event.sessionRef == "6f1c2a94-4d0e-4a51-9b57-1b2d3c4e5f60")
        #expect(event.paymentID == "pay_77")
        #expect(event.amount == Money(cents: 1000))
        #expect(event.currency == "USD")
        #expect(event.refundID == nil)
        #expect(event.refundAmount == nil)
    }

    @Test func standardTakesTheEventIDFromTheVerifiedHeader() throws {
        let configuration = try CustomFixtures.configuration(scheme: "standard")
        let event = try Self.parse(CustomFixtures.paidBody, webhookID: "msg_9", configuration: configuration)
        #expect(event.eventID == "msg_9")
        #expect(throws: CustomNotification.Failure.self) {
            try Self.parse(CustomFixtures.paidBody, webhookID: nil, configuration: configuration)
        }
    }

    @Test func customPointersAndDecimalAmounts() throws {
        let configuration = try CustomFixtures.configuration([
            "EVENT_ID": "/event~1id", "SESSION_REF": "/order/metadata/session", "PAYMENT_ID": "/order/txn/0",
            "AMOUNT": "/order/total", "AMOUNT_FORMAT": "decimal", "CURRENCY": "/order/cur", "STATUS": "/state",
            "REFUND_ID": "/refunds/0/id", "REFUND_AMOUNT": "/refunds/0/value", "REFUND_STATUSES": "refunded",
        ])
        let body = #"""
            {"event/id": 42, "state": "refunded", "order": {"metadata": {"session": "s-1"}, "txn": [9001], "total": "10.5",
             "cur": "Usd"}, "refunds": [{"id": "rf_1", "value": 4.25}]}
            """#
        let event = try Self.parse(body, configuration: configuration)
        #expect(event.eventID == "42")
        #expect(event.statusClass == .refund)
        #expect(event.sessionRef == "s-1")
        #expect(event.paymentID == "9001")
        #expect(event.amount == Money(cents: 1050))
        #expect(event.currency == "USD")
        #expect(event.refundID == "rf_1")
        #expect(event.refundAmount == Money(cents: 425))
    }

    @Test(arguments: [
        ("1000", 1000), ("0", 0), ("999999999999", 999_999_999_999),
    ])
    func centsFormat(text: String, cents: Int64) {
        #expect(CustomAmountFormat.cents.money(from: .number(text)) == Money(cents: cents))
    }

    @Test(arguments: ["10.00", "1e3", "-5", "1000000000000", "10.5"])
    func centsFormatRefuses(text: String) {
        #expect(CustomAmountFormat.cents.money(from: .number(text)) == nil)
        #expect(CustomAmountFormat.cents.money(from: .string("1000")) == nil)
    }

    @Test(arguments: [("10", 1000), ("10.5", 1050), ("10.05", 1005), ("0.01", 1), ("9999999999.99", 999_999_999_999)])
    func decimalFormat(text: String, cents: Int64) {
        #expect(CustomAmountFormat.decimal.money(from: .number(text)) == Money(cents: cents))
        #expect(CustomAmountFormat.decimal.money(from: .string(text)) == Money(cents: cents))
    }

    @Test(arguments: ["10.001", "10.000", "10.", ".5", "1e3", "-1.00", "+1", " 1", "1,00", "", "12345678901"])
    func decimalFormatRefuses(text: String) {
        #expect(CustomAmountFormat.decimal.money(from: .string(text)) == nil)
        #expect(CustomAmountFormat.decimal.money(from: .bool(true)) == nil)
    }

    @Test func requiredFieldsDependOnTheStatusClass() throws {
        let configuration = try CustomFixtures.configuration()
        // An unknown status needs only the event id and the status.
        let other = try Self.parse(
            #"{"id":"e","data":{"status":"pending","amount":"n/a"}}"#, configuration: configuration)
        #expect(other.statusClass == .other)
        #expect(other.amount == nil)
        // A failed event needs the session reference.
        let failed = try Self.parse(
            #"{"id":"e","data":{"status":"expired","reference":"s"}}"#, configuration: configuration)
        #expect(failed.statusClass == .failed)
        #expect(throws: CustomNotification.Failure.self) {
            try Self.parse(#"{"id":"e","data":{"status":"expired"}}"#, configuration: configuration)
        }
    }

    @Test(arguments: [
        (#"[1]"#, "not a JSON object"),
        (#"{"data":{"status":"pending"}}"#, "/id (GW_ACME_EVENT_ID) is missing"),
        (#"{"id":"","data":{"status":"pending"}}"#, "/id (GW_ACME_EVENT_ID) is not"),
        (#"{"id":"e","data":{}}"#, "/data/status (GW_ACME_STATUS) is missing"),
        (#"{"id":"e","data":{"status":1}}"#, "/data/status (GW_ACME_STATUS) is not"),
        (
            #"{"id":"e","data":{"status":"paid","reference":"s","id":"p","currency":"USD"}}"#,
            "GW_ACME_AMOUNT) is missing"
        ),
        (
            #"{"id":"e","data":{"status":"paid","reference":"s","id":"p","currency":"USD","amount":10.5}}"#,
            "GW_ACME_AMOUNT) is not an integer of cents"
        ),
        (#"{"id":"e","data":{"status":"paid","reference":"s","amount":1,"currency":"USD"}}"#, "GW_ACME_PAYMENT_ID"),
        (#"{"id":"e","data":{"status":"paid","reference":"s","id":"p","amount":1}}"#, "GW_ACME_CURRENCY"),
        (#"{"id":"e","data":{"status":"paid","id":"p","amount":1,"currency":"USD"}}"#, "GW_ACME_SESSION_REF"),
        (#"{"id":"e","data":{"status":"refunded","reference":"s","refund_amount":1}}"#, "GW_ACME_REFUND_ID"),
        (#"{"id":"e","data":{"status":"refunded","reference":"s","refund_id":"r"}}"#, "GW_ACME_REFUND_AMOUNT"),
        (#"{"id":"e\u0000","data":{"status":"pending"}}"#, "GW_ACME_EVENT_ID"),
    ])
    func refusesUnusableBodies(body: String, problem: String) throws {
        let configuration = try CustomFixtures.configuration()
        do {
            _ = try Self.parse(body, configuration: configuration)
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.problem.contains(problem), "\(error.problem)")
        }
    }

    @Test func overlongIDsAreRefused() throws {
        let configuration = try CustomFixtures.configuration()
        let long = String(repeating: "x", count: CustomNotification.maximumIDLength + 1)
        #expect(throws: CustomNotification.Failure.self) {
            try Self.parse(#"{"id":"\#(long)","data":{"status":"pending"}}"#, configuration: configuration)
        }
    }
}

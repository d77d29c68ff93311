import Gateways
import PaymentsCore
import PaymentsTestSupport
import Testing

/// `googleplay-handleWebhookEvents`: OIDC-authenticated Pub/Sub pushes of developer notifications.
@Suite struct GooglePlayWebhookTests {
    /// A harness with the purchase `tok` credited to user-1.
    static func credited() throws -> GooglePlayHarness {
        let h = try GooglePlayHarness()
        h.google.buy("tok")
        _ = try h.redeem("tok")
        return h
    }

    @Test func aVoidedPurchaseTakesTheCreditBackOnceWhateverTheNotifications() throws {
        let h = try Self.credited()
        let answer = try h.void("GPA.tok", token: "tok", messageID: "m-1")
        #expect(answer.status == 200 && answer.body == APIResponse.received.body)
        #expect(h.ledger.rows.map(\.paymentID) == ["GPA.tok", "GPA.tok-refund"])
        #expect(
            h.ledger.rows.map(\.amount.cents) == [499, -499] && h.ledger.rows.last?.refundOf == h.ledger.rows.first?.id)
        #expect(h.ledger.rows.last?.uid == "user-1" && h.ledger.rows.last?.gateway == "gplay")
        #expect(h.ledger.events["gplay|m-1"]?.outcome == "refunded")
        #expect(h.ledger.events["gplay|m-1"]?.eventType == "voidedPurchaseNotification")
        #expect(try h.void("GPA.tok", token: "tok", messageID: "m-1").status == 200)
        #expect(try h.void("GPA.tok", token: "tok", messageID: "m-2").status == 200)
        #expect(h.ledger.rows.count == 2 && h.ledger.events.count == 2 && h.lastPush.rows.isEmpty)
    }

    @Test func aVoidOfAnOrderNeverCreditedIsRecordedAndWritesNothing() throws {
        let h = try GooglePlayHarness()
        #expect(try h.void("GPA.unknown", token: "tok", messageID: "m-3").status == 200)
        #expect(h.ledger.rows.isEmpty && h.ledger.events["gplay|m-3"]?.outcome == "not-credited")
    }

    @Test func aPartialRefundGoesToAnOperator() throws {
        let h = try Self.credited()
        #expect(try h.void("GPA.tok", token: "tok", messageID: "m-4", refundType: 2).status == 200)
        #expect(h.ledger.rows.count == 1 && h.ledger.operatorItems.map(\.reason) == ["partial-refund"])
    }

    @Test func anotherPackageTestAndPurchaseNotificationsWriteNoRow() throws {
        let h = try Self.credited()
        let voided: (String, JSONValue) = (
            "voidedPurchaseNotification",
            .object([("purchaseToken", .string("tok")), ("orderId", .string("GPA.tok")), ("productType", .int(2))])
        )
        #expect(try h.push(voided, messageID: "m-5", packageName: "com.other.app").status == 200)
        #expect(
            try h.push(("testNotification", .object([("version", .string("1.0"))])), messageID: "m-6").status == 200)
        let purchased: (String, JSONValue) = (
            "oneTimeProductNotification",
            .object([
                ("version", .string("1.0")), ("notificationType", .int(1)), ("purchaseToken", .string("tok")),
                ("sku", .string("coins_500")),
            ])
        )
        #expect(try h.push(purchased, messageID: "m-7").status == 200)
        #expect(h.ledger.rows.count == 1)
        #expect(h.ledger.events["gplay|m-5"]?.outcome == "not-ours" && h.ledger.events["gplay|m-6"]?.outcome == "test")
        #expect(h.ledger.events["gplay|m-7"]?.outcome == "ignored")
    }

    @Test func aBadOrMissingTokenIs401AndStoresNothing() throws {
        let h = try Self.credited()
        let forged = [
            nil, "Bearer nonsense", "Bearer " + (try GooglePlayPushVerifierTests.token(rogue: true)),
            "Bearer " + (try GooglePlayPushVerifierTests.token([("aud", .string("https://evil.test"))])),
            "Bearer " + (try GooglePlayPushVerifierTests.token([("email", .string("x@evil.test"))])),
        ]
        for header in forged {
            let voided: (String, JSONValue) = (
                "voidedPurchaseNotification",
                .object([("purchaseToken", .string("tok")), ("orderId", .string("GPA.tok"))])
            )
            #expect(statusOf { try h.push(voided, messageID: "m-8", authorization: .some(header)) } == 401)
        }
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
        #expect(try h.void("GPA.tok", token: "tok", messageID: "m-8").status == 200)
        #expect(h.ledger.rows.count == 2)
    }

    @Test func aBodyThatIsNotAPushIs400() throws {
        let h = try GooglePlayHarness()
        let header = ["authorization": "Bearer " + (try GooglePlayPushVerifierTests.token())]
        for body in ["not json", #"{"message":{"messageId":"1","data":"eyJ4IjoxfQ=="}}"#, #"{"message":{}}"#] {
            #expect(
                clientError { try h.call("handleWebhookEvents", body: body, headers: header, uid: nil) } == .badRequest)
        }
        #expect(h.ledger.events.isEmpty)
    }
}

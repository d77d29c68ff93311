import Gateways
import PaymentsCore
import Signing
import Testing

/// The push envelope, the developer notification, the purchase resource and the uid binding.
@Suite struct GooglePlayModelTests {
    static func push(_ notification: String, id: String? = "136969346945") -> JSONValue {
        var message: [(String, JSONValue)] = [
            ("data", .string(Base64.encode(Array(notification.utf8)))),
            ("publishTime", .string("2026-01-01T00:00:00Z")),
        ]
        if let id { message.append(("messageId", .string(id))) }
        return .object([("message", .object(message)), ("subscription", .string("projects/p/subscriptions/s"))])
    }

    /// The voided-purchase example of Google's RTDN reference, `eventTimeMillis` as a string as there.
    @Test func aVoidedPurchaseNotificationIsRead() throws {
        let message = try GooglePlayPushMessage(
            body: Self.push(
                #"{"version":"1.0","packageName":"com.some.app","eventTimeMillis":"1503349566168","voidedPurchaseNotification":{"purchaseToken":"PURCHASE_TOKEN","orderId":"GS.0000-0000-0000","productType":2,"refundType":1}}"#
            ))
        #expect(message.messageID == "136969346945")
        #expect(message.subscription == "projects/p/subscriptions/s")
        #expect(message.notification.packageName == "com.some.app")
        #expect(message.notification.eventTimeMillis == 1_503_349_566_168)
        #expect(
            message.notification.kind
                == .voidedPurchase(
                    .init(purchaseToken: "PURCHASE_TOKEN", orderID: "GS.0000-0000-0000", productType: 2, refundType: 1))
        )
    }

    @Test func testAndOneTimeNotificationsAreRead() throws {
        let test = try GooglePlayPushMessage(
            body: Self.push(
                #"{"version":"1.0","packageName":"com.some.app","eventTimeMillis":1503350156918,"testNotification":{"version":"1.0"}}"#
            ))
        #expect(test.notification.kind == .test && test.notification.eventTimeMillis == 1_503_350_156_918)
        let oneTime = try GooglePlayPushMessage(
            body: Self.push(
                #"{"version":"1.0","packageName":"com.some.app","eventTimeMillis":"1","oneTimeProductNotification":{"version":"1.0","notificationType":1,"purchaseToken":"PT","sku":"coins_500"}}"#
            ))
        #expect(
            oneTime.notification.kind
                == .oneTimeProduct(.init(notificationType: 1, purchaseToken: "PT", productID: "coins_500")))
        let subscription = try GooglePlayPushMessage(
            body: Self.push(
                #"{"packageName":"com.some.app","subscriptionNotification":{"version":"1.0","notificationType":4}}"#))
        #expect(subscription.notification.kind == .other)
    }

    @Test func theOlderSnakeCaseMessageIdIsRead() throws {
        let body = JSONValue.object([
            (
                "message",
                .object([
                    ("data", .string(Base64.encode(Array(#"{"packageName":"a","testNotification":{}}"#.utf8)))),
                    ("message_id", .string("42")),
                ])
            )
        ])
        #expect(try GooglePlayPushMessage(body: body).messageID == "42")
    }

    @Test(arguments: [
        JSONValue.object([]),
        push(#"{"packageName":"a","testNotification":{}}"#, id: nil),
        push(#"{"packageName":"a","testNotification":{}}"#, id: ""),
        .object([("message", .object([("data", .string("%%%")), ("messageId", .string("1"))]))]),
        push("not json"),
        push(#"{"testNotification":{}}"#),
        push(#"{"packageName":"a","voidedPurchaseNotification":{"purchaseToken":"t"}}"#),
        push(#"{"packageName":"a","oneTimeProductNotification":{"purchaseToken":"t"}}"#),
    ])
    func aBrokenPushIs400(_ body: JSONValue) {
        let error = #expect(throws: APIError.self) { try GooglePlayPushMessage(body: body) }
        #expect(error?.code == .badRequest)
    }

    @Test func thePurchaseStatesAreRead() throws {
        let states = try [0, 1, 2, 7].map { state in
            try #require(GooglePlayProductPurchase(.object([("purchaseState", .int(state))]))).state
        }
        #expect(states == [.purchased, .canceled, .pending, .other(7)])
        #expect(GooglePlayProductPurchase(.object([("orderId", .string("GPA.1"))])) == nil)
        #expect(GooglePlayProductPurchase(.array([])) == nil)
    }

    /// SHA-256 test vectors of FIPS 180-2 (`abc`, the empty string), lowercase hex.
    @Test func theBindingIsTheLowercaseHexSHA256OfTheUid() throws {
        #expect(
            GooglePlayAccountBinding.obfuscatedAccountID(uid: "abc")
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            GooglePlayAccountBinding.obfuscatedAccountID(uid: "")
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let upper = try #require(
            GooglePlayProductPurchase(
                .object([
                    ("purchaseState", .int(0)),
                    (
                        "obfuscatedExternalAccountId",
                        .string("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
                    ),
                ])))
        #expect(!GooglePlayAccountBinding.binds(upper, to: "abc"))
        let none = try #require(GooglePlayProductPurchase(.object([("purchaseState", .int(0))])))
        #expect(!GooglePlayAccountBinding.binds(none, to: "abc"))
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Google Play through nginx and MariaDB (issue 8): purchases redeemed by token against the sandbox's Android
    /// Publisher, refunds pushed by Pub/Sub with OIDC tokens.
    @Suite("Google Play", .serialized)
    struct GooglePlayIntegrationTests {
        static func connect() throws -> (Stack, GooglePlayControl) {
            let stack = try Stack.connect()
            return (stack, GooglePlayControl(stack: stack))
        }

        @Test("a purchase is credited once under its orderId, consumed after the credit, and synced to Retail")
        func credit() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-credit")
            let (token, orderID) = try play.buy("coins_1200", uid: uid)
            let answer = try play.redeem(token, productID: "coins_1200", idToken: idToken)
            #expect(answer.status == 200 && answer.json?["result"]?.stringValue == "success", "\(answer)")
            let row = try #require(try stack.db.ledgerRow(paymentID: orderID))
            #expect(row.uid == uid && row.gateway == "gplay" && row.amount == 999 && row.sessionID == nil)
            let purchase = try play.purchase(token)
            #expect(purchase["consumptionState"]?.int64Value == 1 && purchase["acknowledgementState"]?.int64Value == 1)
            #expect(try stack.waitForSync(orderID, uid: uid))

            let replay = try play.redeem(token, productID: "coins_1200", idToken: idToken)
            #expect(replay.status == 200 && replay.json?["result"]?.stringValue == "success", "\(replay)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test("another user's purchase is refused (404), neither consumed nor acknowledged, and its owner redeems it")
        func otherUser() throws {
            let (stack, play) = try Self.connect()
            let (owner, ownerToken) = try stack.newUser("gp-owner")
            let (thief, thiefToken) = try stack.newUser("gp-thief")
            let (token, orderID) = try play.buy(uid: owner)
            let (unbound, _) = try play.buy(uid: nil)
            for (purchase, idToken) in [(token, thiefToken), (unbound, thiefToken)] {
                let refused = try play.redeem(purchase, idToken: idToken)
                #expect(refused.status == 404 && refused.errorName == "NotFoundException", "\(refused)")
            }
            #expect(try stack.db.ledgerCount(uid: thief) == 0)
            let untouched = try play.purchase(token)
            #expect(
                untouched["consumptionState"]?.int64Value == 0 && untouched["acknowledgementState"]?.int64Value == 0)
            #expect(try play.redeem(token, idToken: ownerToken).status == 200)
            #expect(try stack.db.ledgerRow(paymentID: orderID)?.uid == owner)
        }

        @Test("an unknown product or purchase token is 400 BadRequestException and writes nothing")
        func unknown() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-unknown")
            let (token, _) = try play.buy("coins_9999", uid: uid)
            for (purchase, product) in [(token, "coins_9999"), ("no-such-token", "coins_500"), (token, "coins_500")] {
                let refused = try play.redeem(purchase, productID: product, idToken: idToken)
                #expect(refused.status == 400 && refused.errorName == "BadRequestException", "\(refused)")
            }
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test("a pending purchase is refused (409) unconsumed, then credited once it completes; a canceled one never")
        func pendingThenCompleted() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-pending")
            let (token, orderID) = try play.buy(uid: uid, state: "pending")
            let pending = try play.redeem(token, idToken: idToken)
            #expect(pending.status == 409 && pending.errorName == "ConflictException", "\(pending)")
            #expect(
                try stack.db.ledgerCount(uid: uid) == 0 && play.purchase(token)["consumptionState"]?.int64Value == 0)
            try play.setState(token, "purchased")
            #expect(try play.redeem(token, idToken: idToken).status == 200)
            #expect(try stack.db.ledgerRow(paymentID: orderID)?.amount == 499)

            let (canceled, _) = try play.buy(uid: uid, state: "canceled")
            #expect(try play.redeem(canceled, idToken: idToken).status == 409)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test(
            "Google answering 5xx is 502 GatewayUnavailableException, writes nothing, and the same call then succeeds")
        func googleDownThenBack() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-5xx")
            let (token, orderID) = try play.buy(uid: uid)
            try play.fault(503)
            defer { restoring("the googleplay fault") { try play.fault(0) } }
            let down = try play.redeem(token, idToken: idToken)
            #expect(down.status == 502 && down.errorName == "GatewayUnavailableException", "\(down)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            try play.fault(0)
            #expect(try play.redeem(token, idToken: idToken).status == 200)
            #expect(try stack.db.ledgerRow(paymentID: orderID) != nil)
            #expect(try play.purchase(token)["consumptionState"]?.int64Value == 1)
        }

        @Test("20 concurrent identical redemptions all succeed and write one row")
        func storm() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-storm")
            let (token, orderID) = try play.buy(uid: uid)
            let statuses = concurrently(20) { _ in (try? play.redeem(token, idToken: idToken))?.status ?? -1 }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1 && stack.db.ledgerCount(paymentID: orderID) == 1)
            #expect(try play.purchase(token)["consumptionState"]?.int64Value == 1)
        }

        @Test("a voided push takes the credit back once; duplicates and repeats of the order change nothing")
        func voided() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-void")
            let (token, orderID) = try play.buy(uid: uid)
            #expect(try play.redeem(token, idToken: idToken).status == 200)
            let first = try play.notify([("kind", .string("voided")), ("purchaseToken", .string(token))])
            #expect(first.status == 200)
            let refund = try #require(try stack.db.ledgerRow(paymentID: "\(orderID)-refund"))
            #expect(refund.amount == -499 && refund.uid == uid && refund.gateway == "gplay")
            #expect(refund.refundOf == (try stack.db.ledgerRow(paymentID: orderID))?.id)
            #expect(try stack.db.webhookEvent(eventID: first.messageID, gateway: "gplay")?.outcome == "refunded")
            let again = try play.notify([
                ("kind", .string("voided")), ("purchaseToken", .string(token)), ("messageId", .string(first.messageID)),
            ])
            let other = try play.notify([("kind", .string("voided")), ("purchaseToken", .string(token))])
            #expect(again.status == 200 && other.status == 200)
            #expect(try stack.db.ledgerCount(uid: uid) == 2)
            #expect(try stack.db.webhookEventCount(eventID: first.messageID, gateway: "gplay") == 1)
            #expect(try stack.waitForSync("\(orderID)-refund", uid: uid))
        }

        @Test("20 concurrent deliveries of one voided push write one row")
        func voidStorm() throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-void-storm")
            let (token, _) = try play.buy(uid: uid)
            #expect(try play.redeem(token, idToken: idToken).status == 200)
            let messageID = "gp-storm-\(TestIDs.random(12))"
            let statuses = concurrently(20) { _ in
                (try? play.notify([
                    ("kind", .string("voided")), ("purchaseToken", .string(token)), ("messageId", .string(messageID)),
                ]))?.status ?? -1
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(try stack.db.ledgerCount(uid: uid) == 2)
            #expect(try stack.db.webhookEventCount(eventID: messageID, gateway: "gplay") == 1)
        }

        @Test("a void of an order never credited, another package and a test notification are 200 and write no row")
        func noEffect() throws {
            let (stack, play) = try Self.connect()
            let (uid, _) = try stack.newUser("gp-noeffect")
            let (token, orderID) = try play.buy(uid: uid)
            let never = try play.notify([("kind", .string("voided")), ("purchaseToken", .string(token))])
            #expect(never.status == 200)
            #expect(try stack.db.webhookEvent(eventID: never.messageID, gateway: "gplay")?.outcome == "not-credited")
            let foreign = try play.notify([
                ("kind", .string("voided")), ("purchaseToken", .string(token)), ("orderId", .string(orderID)),
                ("packageName", .string("com.other.app")),
            ])
            let test = try play.notify([("kind", .string("test"))])
            #expect(foreign.status == 200 && test.status == 200)
            #expect(try stack.db.webhookEvent(eventID: foreign.messageID, gateway: "gplay")?.outcome == "not-ours")
            #expect(try stack.db.webhookEvent(eventID: test.messageID, gateway: "gplay")?.outcome == "test")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test(
            "a push with a bad or missing OIDC token is 401 and stores nothing; the genuine delivery then refunds",
            arguments: [
                [("signature", JSONValue.string("absent"))], [("signature", .string("corrupt"))],
                [("signature", .string("rogue"))], [("signature", .string("none"))],
                [("audience", .string("https://evil.example/push"))], [("email", .string("evil@evil.example"))],
                [("claims", .object([("email_verified", .bool(false))]))],
                [("claims", .object([("iss", .string("https://evil.example"))]))],
                [("claims", .object([("exp", .int(1_000_000_000))]))],
                [("header", .object([("alg", .string("HS256"))]))],
            ])
        func forgeries(_ forgery: [(String, JSONValue)]) throws {
            let (stack, play) = try Self.connect()
            let (uid, idToken) = try stack.newUser("gp-forged")
            let (token, _) = try play.buy(uid: uid)
            #expect(try play.redeem(token, idToken: idToken).status == 200)
            let messageID = "gp-forged-\(TestIDs.random(12))"
            let base: [(String, JSONValue)] = [
                ("kind", .string("voided")), ("purchaseToken", .string(token)), ("messageId", .string(messageID)),
            ]
            let forged = try play.notify(base + forgery)
            #expect(forged.status == 401, "\(forgery)")
            #expect(try stack.db.webhookEventCount(eventID: messageID, gateway: "gplay") == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try play.notify(base).status == 200)
            #expect(try stack.db.ledgerCount(uid: uid) == 2)
        }
    }
}

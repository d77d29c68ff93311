import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// `health`, `app-getPublicKeys`, `app-getTransactions` and `app-getBalance` (DESIGN §2).
    @Suite("App routes", .serialized)
    struct AppRoutesTests {
        @Test("health answers 200 {status: ok, db: ok} without authentication")
        func health() throws {
            let stack = try Stack.connect()
            let answer = try stack.api.get("health", token: nil)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.json?["status"]?.stringValue == "ok")
            #expect(answer.json?["db"]?.stringValue == "ok")
        }

        @Test("app-getPublicKeys needs no token and carries the Stripe publishable key")
        func publicKeys() throws {
            let stack = try Stack.connect()
            let answer = try stack.api.get("app-getPublicKeys", token: nil)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.json?["stripePublishableKey"]?.stringValue == stack.env.stripePublishableKey)
            #expect(answer.json?["paypalClientId"]?.stringValue == stack.env.value("PAYPAL_CLIENT_ID"))
            #expect(answer.json?["cryptomusMerchantId"]?.stringValue == stack.env.value("CRYPTOMUS_MERCHANT_ID"))
        }

        @Test("app-getPublicKeys omits the keys of disabled gateways")
        func publicKeysOfDisabledGateways() throws {
            let stack = try Stack.connect()
            let responder = try ExtraResponder.start(
                stack, workers: 1, environment: ["PAYPAL_ENABLED": "false", "CRYPTOMUS_ENABLED": "false"])
            defer { responder.discard() }
            let keys = try #require(ExtraResponder.json(responder.request("GET", "app-getPublicKeys")))
            #expect(keys == .object([("stripePublishableKey", .string(stack.env.stripePublishableKey))]), "\(keys)")
        }

        @Test("app-getTransactions pages the uid's rows newest first, refunds included, created_at in unix seconds")
        func transactions() throws {
            let stack = try Stack.connect()
            let started = WebhookSigner.now()
            let (uid, token, first) = try stack.paidIntent(amount: 3000, tag: "history")
            let second = try stack.createIntent(token: token, amount: 1200)
            try stack.sandbox.pay(second)
            _ = try stack.waitForRow(second)
            #expect(try stack.waitForSync(second, uid: uid))
            let refund = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(second, amount: 500), prefix: "re_")
            _ = try stack.waitForRow(refund)

            let all = try stack.api.get("app-getTransactions", token: token)
            #expect(all.status == 200, "\(all)")
            let json = try #require(all.json)
            #expect(json["page"]?.int64Value == 1)
            #expect(json["limit"]?.int64Value == 10)
            #expect(json["total"]?.int64Value == 3)
            #expect(json["pages"]?.int64Value == 1)
            let items = json["transactions"]?.arrayValue ?? []
            #expect(items.compactMap { $0["transaction_id"]?.stringValue } == [refund, second, first])
            #expect(items.compactMap { $0["amount"]?.int64Value } == [-500, 1200, 3000])
            let now = WebhookSigner.now()
            for item in items {
                #expect(item["customer_id"]?.stringValue == uid)
                #expect(item["gateway"]?.stringValue == "stripe")
                let created = item["created_at"]?.int64Value ?? 0
                #expect(
                    created >= started - 5 && created <= now + 5, "created_at \(created) is not unix seconds of now")
            }
            let createdAt = items.compactMap { $0["created_at"]?.int64Value }
            #expect(createdAt == createdAt.sorted(by: >), "newest first")

            let page1 = try #require(
                try stack.api.get("app-getTransactions", query: "page=1&limit=2", token: token).json)
            #expect(
                page1["transactions"]?.arrayValue?.compactMap { $0["transaction_id"]?.stringValue } == [refund, second])
            #expect(page1["pages"]?.int64Value == 2)
            #expect(page1["total"]?.int64Value == 3)
            #expect(page1["limit"]?.int64Value == 2)
            let page2 = try #require(
                try stack.api.get("app-getTransactions", query: "page=2&limit=2", token: token).json)
            #expect(page2["transactions"]?.arrayValue?.compactMap { $0["transaction_id"]?.stringValue } == [first])
            #expect(page2["page"]?.int64Value == 2)
            let beyond = try #require(
                try stack.api.get("app-getTransactions", query: "page=5&limit=2", token: token).json)
            #expect(beyond["transactions"]?.arrayValue?.isEmpty == true)
            #expect(beyond["total"]?.int64Value == 3)

            for (query, field) in [
                ("limit=0", "limit"), ("limit=101", "limit"), ("page=0", "page"), ("limit=abc", "limit"),
                ("page=-1", "page"),
            ] {
                let answer = try stack.api.get("app-getTransactions", query: query, token: token)
                #expect(answer.status == 400, "\(query): \(answer)")
                #expect(answer.errorName == "BadRequestException")
                #expect(answer.errorMessage?.contains(field) == true, "\(query): \(answer)")
            }
            let fresh = try stack.newUser("history-empty")
            let empty = try #require(try stack.api.get("app-getTransactions", token: fresh.token).json)
            #expect(empty["total"]?.int64Value == 0)
            #expect(empty["pages"]?.int64Value == 0)
            #expect(empty["transactions"]?.arrayValue?.isEmpty == true)
        }

        @Test("app-getBalance equals the Retail balance after sync; an unknown customer is {total: 0, reserved: 0}")
        func balance() throws {
            let stack = try Stack.connect()
            let (uid, token, intentID) = try stack.paidIntent(amount: 2200, tag: "balance")
            #expect(try stack.waitForSync(intentID, uid: uid))
            let answer = try stack.api.get("app-getBalance", token: token)
            #expect(answer.status == 200, "\(answer)")
            let retail = try stack.sandbox.retailBalance(customerID: uid)
            #expect(retail == 2200)
            #expect(answer.json?["total"]?.int64Value == retail)
            #expect(answer.json?["reserved"]?.int64Value == 0)

            let (_, unknownToken) = try stack.newUser("balance-unknown")
            let unknown = try stack.api.get("app-getBalance", token: unknownToken)
            #expect(unknown.status == 200, "\(unknown)")
            #expect(unknown.json == .object([("total", .int(0)), ("reserved", .int(0))]), "\(unknown)")
        }
    }
}

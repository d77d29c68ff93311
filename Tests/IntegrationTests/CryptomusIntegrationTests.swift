import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Cryptomus invoices, PHP-signed webhooks, the re-read rule, refunds and reconciliation through nginx and MariaDB
    /// (issue 3). On a private stack, each test from an empty database: `payments-sync reconcile`'s exit code answers
    /// for every due session in it.
    @Suite("Cryptomus", .serialized, .privateStack("cryptomus"))
    struct CryptomusIntegrationTests {
        @Test("cryptomus-createPayment creates a pending session and a USD invoice whose order_id is the public_id")
        func createInvoice() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-create")
            let uuid = try crypto.create(token: token, amount: 1234)
            let session = try #require(try stack.db.session(externalID: uuid, gateway: "cryptomus"))
            #expect(
                session.status == "pending" && session.amount == 1234 && session.uid == uid && session.currency == "USD"
            )
            let invoice = try crypto.invoice(uuid)
            #expect(invoice["order_id"]?.stringValue == session.publicID)
            #expect(invoice["amount"]?.stringValue == "12.34" && invoice["currency"]?.stringValue == "USD")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            let keys = try stack.api.get("app-getPublicKeys", token: nil)
            #expect(
                keys.json?["cryptomusMerchantId"]?.stringValue == stack.env.value("CRYPTOMUS_MERCHANT_ID"), "\(keys)")

            for (field, back, success) in [
                ("url_return", "https://evil.example/back", crypto.success),
                ("url_success", crypto.back, "http://shop.sandbox.test/ok"),
            ] {
                let body = JSONValue.object([
                    ("amount", .int(1234)), ("url_return", .string(back)), ("url_success", .string(success)),
                ])
                let refused = try stack.api.post("cryptomus-createPayment", body, token: token)
                #expect(refused.status == 400 && refused.errorName == "BadRequestException", "\(refused)")
                #expect(refused.errorMessage?.hasPrefix(field) == true, "\(refused)")
            }
            #expect(try stack.db.sessionCount(uid: uid) == 1)
        }

        @Test("paid: the PHP-signed webhook (escaped slash, Cyrillic) credits the invoice once and syncs to Retail")
        func paid() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-paid")
            let uuid = try crypto.create(token: token, amount: 1500)
            try crypto.status(uuid, "check")
            try crypto.status(uuid, "confirm_check")
            try crypto.status(uuid, "paid")
            let row = try stack.waitForRow(uuid)
            #expect(row.amount == 1500 && row.gateway == "cryptomus" && row.uid == uid && row.refundOf == nil)
            #expect(try stack.db.session(externalID: uuid, gateway: "cryptomus")?.status == "paid")
            #expect(try stack.db.webhookEvent(eventID: "\(uuid):paid", gateway: "cryptomus")?.outcome == "credited")
            let delivered = try crypto.waitForDelivery(uuid, status: "paid")
            let body = delivered["body"]?.stringValue ?? ""
            #expect(body.contains(#"tn-payments\/заказ"#), "webhook body: \(body)")
            #expect(try stack.waitForSync(uuid, uid: uid))
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test(
            "paid_over credits the invoice amount by default and the whole USD value when CRYPTOMUS_CREDIT_OVERPAYMENT=true"
        )
        func paidOver() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (_, token) = try stack.newUser("cm-over")
            let capped = try crypto.create(token: token, amount: 1000)
            try crypto.status(capped, "paid_over", paidUSD: "12.349")
            #expect(try stack.waitForRow(capped).amount == 1000)

            let full = try crypto.create(token: token, amount: 1000)
            try crypto.status(full, "paid_over", paidUSD: "12.349", deliver: false)
            let session = try #require(try stack.db.session(externalID: full, gateway: "cryptomus"))
            try stack.db.makeSessionDue(sessionID: session.id)
            let result = try Command.run(
                stack.env.executable("payments-sync"), ["reconcile", "--env-file", stack.env.envFilePath],
                environment: ["CRYPTOMUS_CREDIT_OVERPAYMENT": "true"])
            #expect(result.status == 0, "\(result)")
            #expect(try stack.db.ledgerRow(paymentID: full)?.amount == 1234)
        }

        @Test("wrong_amount credits nothing, closes the session and stores an operator item")
        func wrongAmount() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-wrong")
            let uuid = try crypto.create(token: token, amount: 2000)
            try crypto.status(uuid, "wrong_amount", paidUSD: "10.00")
            try eventually { try stack.db.operatorItemCount(references: [uuid]) == 1 }
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.session(externalID: uuid, gateway: "cryptomus")?.status == "failed")
            #expect(try stack.db.webhookEventCount(eventID: "\(uuid):wrong_amount", gateway: "cryptomus") == 1)
        }

        @Test("an expired invoice closes its session, by webhook or, when that never came, by reconcile")
        func expired() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-expire")
            let notified = try crypto.create(token: token, amount: 900)
            try crypto.expire(notified)
            try eventually { try stack.db.session(externalID: notified, gateway: "cryptomus")?.status == "expired" }
            let silent = try crypto.create(token: token, amount: 900)
            try crypto.expire(silent, deliver: false)
            let session = try #require(try stack.db.session(externalID: silent, gateway: "cryptomus"))
            try stack.db.makeSessionDue(sessionID: session.id)
            let result = try stack.paymentsSync(["reconcile"])
            #expect(result.status == 0, "\(result)")
            #expect(try stack.db.session(externalID: silent, gateway: "cryptomus")?.status == "expired")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test("refund_paid writes the negative <uuid>-refund row once")
        func refundPaid() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-refund")
            let uuid = try crypto.create(token: token, amount: 2500)
            try crypto.status(uuid, "paid")
            let credit = try stack.waitForRow(uuid)
            let refund = try crypto.merchantAPI(
                "/v1/payment/refund",
                .object([
                    ("uuid", .string(uuid)), ("address", .string("TPayerWallet")), ("is_subtract", .bool(true)),
                ]))
            #expect(refund.status == 200, "\(refund)")
            try crypto.status(uuid, "refund_paid")
            let row = try stack.waitForRow("\(uuid)-refund")
            #expect(row.amount == -2500 && row.refundOf == credit.id && row.gateway == "cryptomus")
            _ = try crypto.redeliver(uuid)
            _ = try crypto.waitForDelivery(uuid, status: "refund_paid", count: 2)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [2500, -2500])
            #expect(try stack.db.session(externalID: uuid, gateway: "cryptomus")?.status == "refunded")
        }

        @Test("duplicates and a concurrent storm of one delivery write one row and one event")
        func storm() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-storm")
            let uuid = try crypto.create(token: token, amount: 3300)
            let event = try crypto.status(uuid, "paid", deliver: false)
            let body = try #require(event["body"]?.stringValue)
            let api = stack.api
            let statuses = concurrently(16) { _ in
                (try? api.postRaw("cryptomus-handleWebhookEvents", Array(body.utf8), token: nil).status) ?? -1
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            let again = try stack.api.postRaw("cryptomus-handleWebhookEvents", Array(body.utf8), token: nil)
            #expect(again.status == 200 && again.json?["received"]?.boolValue == true)
            #expect(try stack.db.ledgerCount(uid: uid) == 1 && stack.db.ledgerRow(paymentID: uuid)?.amount == 3300)
            #expect(try stack.db.webhookEventCount(eventID: "\(uuid):paid", gateway: "cryptomus") == 1)
        }

        @Test(
            "forgeries (wrong key, tampered body, disallowed source) are 401 and write nothing; the genuine one credits"
        )
        func forgeries() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-forge")
            let uuid = try crypto.create(token: token, amount: 4100)
            let genuine = try #require(try crypto.status(uuid, "paid", deliver: false)["body"]?.stringValue)

            _ = try crypto.redeliver(uuid, key: "not-the-payment-key")
            let forged = try crypto.waitForDelivery(uuid, status: "paid", deliveryStatus: "failed", count: 1)
            #expect(forged["last_http_status"]?.int64Value == 401)
            let tampered = genuine.replacingOccurrences(of: #""amount":"41.00""#, with: #""amount":"410.00""#)
            #expect(tampered != genuine)
            let refused = try stack.api.postRaw("cryptomus-handleWebhookEvents", Array(tampered.utf8), token: nil)
            #expect(refused.status == 401 && refused.errorName == "UnauthorizedException", "\(refused)")
            let port = stack.env.int("RUN_HTTP_PORT", default: 18080)
            let fromElsewhere = try RawHTTP.post(
                from: "127.0.0.2", port: port, path: "/api/cryptomus-handleWebhookEvents",
                body: Array(genuine.utf8), headers: [("X-Forwarded-For", "127.0.0.1")])
            #expect(fromElsewhere == 403)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.webhookEventCount(eventID: "\(uuid):paid", gateway: "cryptomus") == 0)

            _ = try crypto.redeliver(uuid, escapeUnicode: true)
            #expect(try stack.waitForRow(uuid).amount == 4100)
            #expect(try stack.db.webhookEventCount(eventID: "\(uuid):paid", gateway: "cryptomus") == 1)
        }

        @Test("a re-read that disagrees answers 503 and writes nothing; Cryptomus's retry credits once it agrees")
        func disagreeingReRead() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-503")
            let uuid = try crypto.create(token: token, amount: 1800)
            try crypto.disagree(uuid)
            try crypto.status(uuid, "paid")
            try eventually { try crypto.events(uuid).last?["last_http_status"]?.int64Value == 503 }
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.webhookEventCount(eventID: "\(uuid):paid", gateway: "cryptomus") == 0)
            try crypto.disagree(uuid, clear: true)
            #expect(try stack.waitForRow(uuid).amount == 1800)
        }

        @Test("a paid invoice whose webhook never arrived is credited by payments-sync reconcile, once")
        func reconcileMissedWebhook() throws {
            let (stack, crypto) = try CryptomusStack.connect()
            let (uid, token) = try stack.newUser("cm-reconcile")
            let uuid = try crypto.create(token: token, amount: 2700)
            try crypto.status(uuid, "paid", deliver: false)
            let session = try #require(try stack.db.session(externalID: uuid, gateway: "cryptomus"))
            try stack.db.makeSessionDue(sessionID: session.id)
            let first = try stack.paymentsSync(["reconcile"])
            #expect(first.status == 0, "\(first)")
            #expect(try stack.db.ledgerRow(paymentID: uuid)?.amount == 2700)
            #expect(try stack.db.session(externalID: uuid, gateway: "cryptomus")?.status == "paid")
            try stack.db.makeSessionDue(sessionID: session.id)
            #expect(try stack.paymentsSync(["reconcile"]).status == 0)
            _ = try crypto.redeliver(uuid)
            _ = try crypto.waitForDelivery(uuid, status: "paid", count: 1)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }
    }
}

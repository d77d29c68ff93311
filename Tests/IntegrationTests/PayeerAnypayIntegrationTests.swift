import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Payeer and Anypay end to end (issue 9): the form the client posts to the sandbox's merchant page, the signed
    /// notification the sandbox delivers through nginx, forgeries, storms, mismatches and second payments.
    @Suite("Payeer and Anypay", .serialized)
    struct PayeerAnypayIntegrationTests {
        // MARK: - Payeer

        @Test("payeer: the signed notification credits the session amount once, answers <m_orderid>|success, syncs")
        func payeerPaid() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("py-paid")
            let orderID = try gateways.payeerOrder(token: token, amount: 1234)
            let session = try #require(try stack.db.session(externalID: orderID, gateway: "payeer"))
            #expect(session.status == "pending" && session.amount == 1234 && session.publicID == orderID)
            #expect(try stack.db.sessionCount(uid: uid) == 1)
            let record = try gateways.control("payeer/pay", .object([("m_orderid", .string(orderID))]))
            #expect(record["http_status"]?.int64Value == 200 && record["answer"]?.stringValue == "\(orderID)|success")
            let operation = try #require(FormGatewaysStack.fields(record).first { $0.0 == "m_operation_id" }?.1)
            let row = try stack.waitForRow("payeer-\(operation)")
            #expect(row.amount == 1234 && row.uid == uid && row.gateway == "payeer")
            #expect(try stack.db.session(externalID: orderID, gateway: "payeer")?.status == "paid")
            #expect(try stack.db.webhookEvent(eventID: operation, gateway: "payeer")?.outcome == "credited")
            let again = try gateways.control("payeer/redeliver", .object([("m_operation_id", .string(operation))]))
            #expect(again["answer"]?.stringValue == "\(orderID)|success")
            #expect(try stack.waitForSync("payeer-\(operation)", uid: uid))
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test(
            "payeer forgeries are 401 <m_orderid>|error and write nothing; a spoofed X-Forwarded-For is 403; the genuine one credits"
        )
        func payeerForgeries() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("py-forge")
            let orderID = try gateways.payeerOrder(token: token, amount: 2000)
            let genuine = try gateways.control(
                "payeer/pay", .object([("m_orderid", .string(orderID)), ("deliver", .bool(false))]))
            let fields = FormGatewaysStack.fields(genuine)
            let operation = try #require(fields.first { $0.0 == "m_operation_id" }?.1)
            for forgery in ["wrong_secret", "tampered_amount", "tampered_status", "missing_sign", "swapped_fields"] {
                let refused = try gateways.control(
                    "payeer/redeliver", .object([("m_operation_id", .string(operation)), ("forge", .string(forgery))]))
                #expect(refused["http_status"]?.int64Value == 401, "\(forgery): \(refused)")
                #expect(refused["answer"]?.stringValue == "\(orderID)|error", "\(forgery): \(refused)")
            }
            #expect(try gateways.postFromElsewhere("payeer-handleWebhookEvents", fields) == 403)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.webhookEventCount(eventID: operation, gateway: "payeer") == 0)
            #expect(try stack.db.operatorItemCount(references: ["payeer-\(operation)"]) == 0)
            let delivered = try gateways.post("payeer-handleWebhookEvents", fields)
            #expect(delivered.status == 200 && delivered.text == "\(orderID)|success")
            #expect(try stack.db.ledgerRow(paymentID: "payeer-\(operation)")?.amount == 2000)
        }

        @Test("payeer: 16 concurrent deliveries of one notification answer success and write one row and one event")
        func payeerStorm() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("py-storm")
            let orderID = try gateways.payeerOrder(token: token, amount: 3300)
            let fields = FormGatewaysStack.fields(
                try gateways.control(
                    "payeer/pay", .object([("m_orderid", .string(orderID)), ("deliver", .bool(false))])))
            let operation = try #require(fields.first { $0.0 == "m_operation_id" }?.1)
            let answers = concurrently(16) { _ in
                (try? gateways.post("payeer-handleWebhookEvents", fields)).map { "\($0.status) \($0.text)" } ?? "none"
            }
            #expect(answers.allSatisfy { $0 == "200 \(orderID)|success" }, "\(answers)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.db.webhookEventCount(eventID: operation, gateway: "payeer") == 1)
        }

        @Test("payeer: an amount mismatch, a second paid operation and an unknown order credit nothing, answered 200")
        func payeerOperatorItems() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("py-operator")
            let mismatched = try gateways.payeerOrder(token: token, amount: 1500)
            let wrong = try gateways.control(
                "payeer/pay", .object([("m_orderid", .string(mismatched)), ("m_amount", .string("15.01"))]))
            #expect(wrong["answer"]?.stringValue == "\(mismatched)|success")
            let wrongOperation = try #require(FormGatewaysStack.fields(wrong).first { $0.0 == "m_operation_id" }?.1)
            #expect(try stack.db.operatorItemReasons(reference: "payeer-\(wrongOperation)") == ["amount-mismatch"])
            #expect(try stack.db.session(externalID: mismatched, gateway: "payeer")?.status == "failed")

            let twice = try gateways.payeerOrder(token: token, amount: 1600)
            let first = try gateways.control("payeer/pay", .object([("m_orderid", .string(twice))]))
            let second = try gateways.control("payeer/pay", .object([("m_orderid", .string(twice))]))
            #expect(second["answer"]?.stringValue == "\(twice)|success")
            let secondOperation = try #require(FormGatewaysStack.fields(second).first { $0.0 == "m_operation_id" }?.1)
            #expect(try stack.db.operatorItemReasons(reference: "payeer-\(secondOperation)") == ["second-payment"])
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [1600])
            #expect(first["answer"]?.stringValue == "\(twice)|success")

            let secret = try #require(stack.env.value("PAYEER_SECRET_KEY"))
            var unknown = [
                ("m_operation_id", "42\(Int.random(in: 100_000...999_999))"), ("m_operation_ps", "2609"),
                ("m_operation_date", "05.12.2026 10:00:00"), ("m_operation_pay_date", "05.12.2026 10:01:00"),
                ("m_shop", stack.env.value("PAYEER_SHOP_ID") ?? ""), ("m_orderid", "no-such-order"),
                ("m_amount", "10.00"), ("m_curr", "USD"), ("m_desc", "eA=="), ("m_status", "success"),
            ]
            unknown.append(("m_sign", FormGatewaysStack.sha256(unknown.map(\.1) + [secret]).uppercased()))
            let answer = try gateways.post("payeer-handleWebhookEvents", unknown)
            #expect(answer.status == 200 && answer.text == "no-such-order|success", "\(answer)")
            #expect(try stack.db.operatorItemReasons(reference: "payeer-\(unknown[0].1)") == ["unknown-order"])
        }

        // MARK: - Anypay

        @Test("anypay: a POSTed and a GET notification each credit their session once, answered OK")
        func anypayPaid() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("ap-paid")
            for (amount, method) in [(Int64(2500), "POST"), (Int64(2600), "GET")] {
                let payID = try gateways.anypayPayment(token: token, amount: amount)
                #expect(try stack.db.session(externalID: payID, gateway: "anypay")?.status == "pending")
                let record = try gateways.control(
                    "anypay/pay", .object([("pay_id", .string(payID)), ("http_method", .string(method))]))
                #expect(record["http_status"]?.int64Value == 200 && record["answer"]?.stringValue == "OK", "\(record)")
                let transaction = try #require(FormGatewaysStack.fields(record).first { $0.0 == "transaction_id" }?.1)
                #expect(try stack.waitForRow("anypay-\(transaction)").amount == amount)
                #expect(try stack.db.session(externalID: payID, gateway: "anypay")?.status == "paid")
                let again = try gateways.control(
                    "anypay/pay", .object([("pay_id", .string(payID)), ("http_method", .string(method))]))
                #expect(again["answer"]?.stringValue == "OK")
                #expect(try stack.db.webhookEventCount(eventID: "\(transaction):paid", gateway: "anypay") == 1)
            }
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [2500, 2600])
        }

        @Test(
            "anypay forgeries and legacy md5 are 401 and write nothing; a spoofed X-Forwarded-For is 403; test=1 credits nothing"
        )
        func anypayForgeries() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("ap-forge")
            let payID = try gateways.anypayPayment(token: token, amount: 4100)
            for forgery in [
                "wrong_secret", "tampered_amount", "tampered_status", "missing_sign", "swapped_fields", "legacy_md5",
            ] {
                let refused = try gateways.control(
                    "anypay/pay", .object([("pay_id", .string(payID)), ("forge", .string(forgery))]))
                #expect(refused["http_status"]?.int64Value == 401, "\(forgery): \(refused)")
                #expect(refused["answer"]?.stringValue != "OK", "\(forgery): \(refused)")
            }
            let test = try gateways.control("anypay/pay", .object([("pay_id", .string(payID)), ("test", .bool(true))]))
            #expect(test["answer"]?.stringValue == "OK")
            let genuine = FormGatewaysStack.fields(
                try gateways.control("anypay/pay", .object([("pay_id", .string(payID)), ("deliver", .bool(false))])))
            #expect(try gateways.postFromElsewhere("anypay-handleWebhookEvents", genuine) == 403)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            let transaction = try #require(genuine.first { $0.0 == "transaction_id" }?.1)
            #expect(try stack.db.webhookEventCount(eventID: "\(transaction):paid", gateway: "anypay") == 0)
            let answer = try gateways.post("anypay-handleWebhookEvents", genuine)
            #expect(answer.status == 200 && answer.text == "OK")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [4100])
        }

        @Test(
            "anypay: a concurrent storm writes one row; a mismatch and a second transaction for one pay_id credit nothing"
        )
        func anypayStormAndOperatorItems() throws {
            let stack = try Stack.connect()
            let gateways = FormGatewaysStack(stack)
            let (uid, token) = try stack.newUser("ap-storm")
            let payID = try gateways.anypayPayment(token: token, amount: 3300)
            let fields = FormGatewaysStack.fields(
                try gateways.control("anypay/pay", .object([("pay_id", .string(payID)), ("deliver", .bool(false))])))
            let answers = concurrently(16) { _ in
                (try? gateways.post("anypay-handleWebhookEvents", fields)).map { "\($0.status) \($0.text)" } ?? "none"
            }
            #expect(answers.allSatisfy { $0 == "200 OK" }, "\(answers)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)

            // Anypay's sign does not cover transaction_id: the same signed fields name another transaction.
            let other = "9\(Int.random(in: 10_000_000...99_999_999))"
            let second = fields.map { $0.0 == "transaction_id" ? ($0.0, other) : $0 }
            let reply = try gateways.post("anypay-handleWebhookEvents", second)
            #expect(reply.status == 200 && reply.text == "OK", "\(reply)")
            #expect(try stack.db.operatorItemReasons(reference: "anypay-\(other)") == ["second-payment"])
            #expect(try stack.db.ledgerCount(uid: uid) == 1)

            let mismatched = try gateways.anypayPayment(token: token, amount: 1000)
            let wrong = try gateways.control(
                "anypay/pay", .object([("pay_id", .string(mismatched)), ("amount", .string("9.99"))]))
            #expect(wrong["answer"]?.stringValue == "OK")
            let transaction = try #require(FormGatewaysStack.fields(wrong).first { $0.0 == "transaction_id" }?.1)
            #expect(try stack.db.operatorItemReasons(reference: "anypay-\(transaction)") == ["amount-mismatch"])
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }
    }
}

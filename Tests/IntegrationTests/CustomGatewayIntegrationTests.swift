import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Operator-configured gateways through nginx and MariaDB (issue 9, DESIGN §2): the test stack lists `acme`
    /// (sha256, cents, checkout link), `hexpay` (hex, decimal amounts, its own header) and `stdpay` (Standard
    /// Webhooks); the sandbox signs and delivers their notifications, with forgeries on request.
    @Suite("Operator-configured gateways", .serialized)
    struct CustomGatewayIntegrationTests {
        /// One configured gateway seen from the test: its create route and the sandbox's control endpoints.
        struct Gateway {
            let stack: Stack
            let id: String

            /// `<id>-createPayment`; returns the answer (failing the test on another status).
            func create(token: String, amount: Int64, _ extra: [(String, JSONValue)] = []) throws -> JSONValue {
                let result = try stack.api.post(
                    "\(id)-createPayment", .object([("amount", .int(amount))] + extra), token: token)
                try #require(result.status == 200, "\(id)-createPayment: \(result)")
                return try #require(result.json)
            }

            /// A new session of `amount` for a new user: its `public_id` and the user.
            func session(amount: Int64, tag: String) throws -> (ref: String, uid: String) {
                let (uid, token) = try stack.newUser(tag)
                let ref = try #require(try create(token: token, amount: amount)["session_id"]?.stringValue)
                return (ref, uid)
            }

            /// `/control/custom/<id>/<action>`: the emitted event record (`event_id`, `body`, `headers`,
            /// `http_status`, `response`).
            @discardableResult
            func control(_ action: String, _ fields: [(String, JSONValue)]) throws -> JSONValue {
                let result = try HTTP.postJSON(
                    stack.env.sandboxURL + "/control/custom/\(id)/\(action)", .object(fields))
                guard result.status == 200, let json = result.json else {
                    throw SandboxError(description: "sandbox custom \(id) \(action) answered \(result)")
                }
                return json
            }

            /// The status the responder answered a delivery with.
            static func status(_ record: JSONValue) -> Int64? { record["http_status"]?.int64Value }

            /// The signed delivery of a record made with `deliver: false`, as raw bytes and headers.
            static func delivery(_ record: JSONValue) throws -> (body: [UInt8], headers: [(String, String)]) {
                let body = try #require(record["body"]?.stringValue)
                guard case let .object(members)? = record["headers"] else {
                    throw SandboxError(description: "no headers in \(record)")
                }
                let headers = members.compactMap { name, value in value.stringValue.map { (name, $0) } }
                return (Array(body.utf8), headers)
            }
        }

        static func payment() -> String { "pay_\(TestIDs.random(12))" }

        @Test("<id>-createPayment writes one pending session and answers session_id, amount, currency and url")
        func createPayment() throws {
            let stack = try Stack.connect()
            let acme = Gateway(stack: stack, id: "acme")
            let (uid, token) = try stack.newUser("cg-create")
            let answer = try acme.create(
                token: token, amount: 1234, [("success_url", .string("https://app.test/ok?a=1"))])
            let ref = try #require(answer["session_id"]?.stringValue)
            #expect(answer["amount"] == .int(1234) && answer["currency"] == .string("USD"), "\(answer)")
            let url = try #require(answer["url"]?.stringValue)
            #expect(
                url.hasSuffix(
                    "/checkout/acme?session_id=\(ref)&amount=1234&success_url=https%3A%2F%2Fapp.test%2Fok%3Fa%3D1&cancel_url="
                ))
            let session = try #require(try stack.db.session(externalID: ref, gateway: "acme"))
            #expect(session.publicID == ref && session.uid == uid && session.amount == 1234)
            #expect(session.status == "pending" && session.currency == "USD")
            #expect(try Gateway(stack: stack, id: "hexpay").create(token: token, amount: 500)["url"] == nil)

            for body in [#"{"amount":499}"#, #"{"amount":100001}"#, #"{"amount":"1000"}"#, #"{"amount":10.5}"#] {
                let refused = try stack.api.postRaw("acme-createPayment", Array(body.utf8), token: token)
                #expect(refused.status == 400 && refused.errorName == "BadRequestException", "\(body): \(refused)")
            }
            let anonymous = try stack.api.post("acme-createPayment", .object([("amount", .int(1000))]), token: nil)
            #expect(anonymous.status == 401 && anonymous.errorName == "UnauthorizedException", "\(anonymous)")
            #expect(try stack.db.sessionCount(uid: uid) == 2)
        }

        @Test("every scheme (sha256, hex with decimal amounts, Standard Webhooks) credits the session once and syncs")
        func allSchemesCreditOnce() throws {
            let stack = try Stack.connect()
            for id in ["acme", "hexpay", "stdpay"] {
                let gateway = Gateway(stack: stack, id: id)
                let (ref, uid) = try gateway.session(amount: 1500, tag: "cg-\(id)")
                let payment = Self.payment()
                let event = "evt_\(TestIDs.random(12))"
                let fields: [(String, JSONValue)] = [
                    ("session_id", .string(ref)), ("amount", .int(1500)), ("payment_id", .string(payment)),
                    ("event_id", .string(event)),
                ]
                let first = try gateway.control("pay", fields)
                #expect(Gateway.status(first) == 200, "\(id): \(first)")
                #expect(first["response"]?.stringValue == #"{"received":true}"#, "\(id): \(first)")
                let again = try gateway.control("pay", fields)
                #expect(Gateway.status(again) == 200, "\(id): \(again)")
                let row = try stack.waitForRow("\(id)-\(payment)")
                #expect(row.amount == 1500 && row.gateway == id && row.uid == uid && row.refundOf == nil)
                #expect(try stack.db.ledgerCount(uid: uid) == 1)
                #expect(try stack.db.session(externalID: ref, gateway: id)?.status == "paid")
                #expect(try stack.db.webhookEvent(eventID: event, gateway: id)?.outcome == "credited")
                #expect(try stack.waitForSync("\(id)-\(payment)", uid: uid))
            }
        }

        @Test(
            "forgeries are 401 (403 from outside the allow-list), write nothing and leave the event to the genuine one")
        func forgeries() throws {
            let stack = try Stack.connect()
            for (id, wrongSecret) in [
                ("acme", "not-the-secret"), ("hexpay", "not-the-secret"),
                ("stdpay", "whsec_" + Data("another signing key".utf8).base64EncodedString()),
            ] {
                let gateway = Gateway(stack: stack, id: id)
                let (ref, uid) = try gateway.session(amount: 2100, tag: "cg-forge")
                let payment = Self.payment()
                let event = "evt_\(TestIDs.random(12))"
                let base: [(String, JSONValue)] = [
                    ("session_id", .string(ref)), ("amount", .int(2100)), ("payment_id", .string(payment)),
                    ("event_id", .string(event)),
                ]
                var forgeries: [[(String, JSONValue)]] = [
                    [("secret", .string(wrongSecret))], [("tamper_amount", .int(210_000))],
                    [("tamper_status", .string("refunded"))], [("omit_signature", .bool(true))],
                    [("reorder", .bool(true))],
                ]
                if id == "stdpay" {
                    let now = Int64(Date().timeIntervalSince1970)
                    forgeries.append([("timestamp", .int(now - 400))])
                    forgeries.append([("timestamp", .int(now + 400))])
                }
                for forgery in forgeries {
                    let record = try gateway.control("pay", base + forgery)
                    #expect(Gateway.status(record) == 401, "\(id) \(forgery): \(record)")
                }
                let genuine = try Gateway.delivery(try gateway.control("pay", base + [("deliver", .bool(false))]))
                let port = stack.env.int("RUN_HTTP_PORT", default: 18080)
                let fromElsewhere = try RawHTTP.post(
                    from: "127.0.0.2", port: port, path: "/api/\(id)-handleWebhookEvents", body: genuine.body,
                    headers: genuine.headers + [("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1")])
                #expect(fromElsewhere == 403, "\(id)")
                #expect(try stack.db.ledgerCount(uid: uid) == 0)
                #expect(try stack.db.webhookEventCount(eventID: event, gateway: id) == 0)
                #expect(try stack.db.operatorItemReasons(reference: "\(id)-\(payment)").isEmpty)

                let answer = try stack.api.postRaw(
                    "\(id)-handleWebhookEvents", genuine.body, token: nil, headers: genuine.headers)
                #expect(answer.status == 200, "\(id): \(answer)")
                #expect(try stack.db.ledgerRow(paymentID: "\(id)-\(payment)")?.amount == 2100)
            }
        }

        @Test("20 concurrent identical deliveries: all 200, one row, one event record")
        func concurrentStorm() throws {
            let stack = try Stack.connect()
            let acme = Gateway(stack: stack, id: "acme")
            let (ref, uid) = try acme.session(amount: 3100, tag: "cg-storm")
            let payment = Self.payment()
            let record = try acme.control(
                "pay",
                [
                    ("session_id", .string(ref)), ("amount", .int(3100)), ("payment_id", .string(payment)),
                    ("deliver", .bool(false)),
                ])
            let eventID = try #require(record["event_id"]?.stringValue)
            let delivery = try Gateway.delivery(record)
            let api = stack.api
            let answers = concurrently(20) { _ in
                (try? api.postRaw("acme-handleWebhookEvents", delivery.body, token: nil, headers: delivery.headers))
                    .map { "\($0.status) \($0.text)" } ?? "transport failure"
            }
            for answer in answers {
                #expect(answer == #"200 {"received":true}"#, "delivery answered \(answer)")
            }
            #expect(try stack.db.ledgerCount(paymentID: "acme-\(payment)") == 1)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.db.webhookEventCount(eventID: eventID, gateway: "acme") == 1)
        }

        @Test("other amounts, another currency, an unknown session and a second payment are operator items, 200")
        func operatorItems() throws {
            let stack = try Stack.connect()
            let acme = Gateway(stack: stack, id: "acme")
            for (amount, currency, reason, credited, status) in [
                (Int64(1400), "USD", "underpayment", Int64?.none, "failed"), (1600, "USD", "overpayment", 1500, "paid"),
                (1500, "EUR", "non-usd-payment", nil, "failed"),
            ] {
                let (ref, uid) = try acme.session(amount: 1500, tag: "cg-amount")
                let payment = Self.payment()
                let record = try acme.control(
                    "pay",
                    [
                        ("session_id", .string(ref)), ("amount", .int(amount)), ("currency", .string(currency)),
                        ("payment_id", .string(payment)),
                    ])
                #expect(Gateway.status(record) == 200, "\(record)")
                #expect(try stack.db.operatorItemReasons(reference: "acme-\(payment)") == [reason])
                #expect(try stack.db.ledgerRow(paymentID: "acme-\(payment)")?.amount == credited)
                #expect(try stack.db.ledgerCount(uid: uid) == (credited == nil ? 0 : 1))
                #expect(try stack.db.session(externalID: ref, gateway: "acme")?.status == status)
            }

            let unknown = Self.payment()
            let stray = try acme.control(
                "pay",
                [
                    ("session_id", .string(UUID().uuidString.lowercased())), ("amount", .int(1500)),
                    ("payment_id", .string(unknown)),
                ])
            #expect(Gateway.status(stray) == 200, "\(stray)")
            #expect(try stack.db.operatorItemReasons(reference: "acme-\(unknown)") == ["unknown-session"])

            let (ref, uid) = try acme.session(amount: 1500, tag: "cg-second")
            let first = Self.payment()
            let second = Self.payment()
            for payment in [first, second] {
                let record = try acme.control(
                    "pay", [("session_id", .string(ref)), ("amount", .int(1500)), ("payment_id", .string(payment))])
                #expect(Gateway.status(record) == 200, "\(record)")
            }
            #expect(try stack.db.ledgerRows(uid: uid).map(\.paymentID) == ["acme-\(first)"])
            #expect(try stack.db.operatorItemReasons(reference: "acme-\(second)") == ["second-payment"])
        }

        @Test("a refund is booked once, only after the credit; failed statuses close the session")
        func refundsAndFailures() throws {
            let stack = try Stack.connect()
            let acme = Gateway(stack: stack, id: "acme")
            let (ref, uid) = try acme.session(amount: 2000, tag: "cg-refund")
            let payment = Self.payment()
            let refund = "rf_\(TestIDs.random(12))"
            let refundFields: [(String, JSONValue)] = [
                ("session_id", .string(ref)), ("amount", .int(2000)), ("payment_id", .string(payment)),
                ("refund_id", .string(refund)), ("refund_amount", .int(700)),
            ]
            let early = try acme.control("refund", refundFields)
            #expect(Gateway.status(early) == 503, "\(early)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            let paid = try acme.control(
                "pay", [("session_id", .string(ref)), ("amount", .int(2000)), ("payment_id", .string(payment))])
            #expect(Gateway.status(paid) == 200, "\(paid)")
            for _ in 0..<2 {
                let record = try acme.control("refund", refundFields)
                #expect(Gateway.status(record) == 200, "\(record)")
            }
            let rows = try stack.db.ledgerRows(uid: uid)
            #expect(Set(rows.map(\.paymentID)) == ["acme-\(payment)", "acme-\(refund)"] && rows.count == 2)
            #expect(try stack.db.ledgerRow(paymentID: "acme-\(refund)")?.amount == -700)

            for (status, closed) in [("failed", "failed"), ("expired", "expired"), ("canceled", "canceled")] {
                let (open, openUID) = try acme.session(amount: 900, tag: "cg-fail")
                let record = try acme.control("fail", [("session_id", .string(open)), ("status", .string(status))])
                #expect(Gateway.status(record) == 200, "\(record)")
                #expect(try stack.db.session(externalID: open, gateway: "acme")?.status == closed)
                #expect(try stack.db.ledgerCount(uid: openUID) == 0)
            }
        }
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Deliveries the tests sign themselves: a concurrent storm of one event, and forgeries (DESIGN §1.2, issue 2).
    @Suite("Stripe webhook deliveries", .serialized)
    struct WebhookDeliveryTests {
        /// An authorised (requires_capture) intent whose webhook the sandbox did not send, and the genuine
        /// `amount_capturable_updated` event body for it, built from the sandbox's Stripe API.
        static func authorisedIntent(_ stack: Stack, tag: String) throws -> (
            uid: String, intentID: String, eventID: String, body: [UInt8]
        ) {
            let (uid, token) = try stack.newUser(tag)
            let intentID = try stack.createIntent(token: token, amount: 3100)
            try stack.sandbox.pay(intentID, deliver: false)
            let object = try stack.sandbox.stripeAPI("/v1/payment_intents/\(intentID)")
            try #require(
                object["status"]?.stringValue == "requires_capture", "sandbox intent not authorised: \(object)")
            let event = WebhookSigner.event(type: "payment_intent.amount_capturable_updated", object: object)
            let eventID = try #require(event["id"]?.stringValue)
            return (uid, intentID, eventID, Array(event.serialized().utf8))
        }

        @Test("20 concurrent identical deliveries: all 200, one capture, one row, one event record")
        func concurrentStorm() throws {
            let stack = try Stack.connect()
            let (uid, intentID, eventID, body) = try Self.authorisedIntent(stack, tag: "storm")
            let header = WebhookSigner.header(body: body, secret: stack.env.webhookSecret)
            let api = stack.api
            let answers = concurrently(20) { _ in
                (try? WebhookSigner.deliver(api, body: body, signature: header)).map { "\($0.status) \($0.text)" }
                    ?? "transport failure"
            }
            #expect(answers.count == 20)
            for answer in answers {
                #expect(answer.hasPrefix("200 "), "delivery answered \(answer)")
            }
            #expect(try stack.db.ledgerCount(paymentID: intentID) == 1)
            #expect(try stack.db.ledgerRow(paymentID: intentID)?.amount == 3100)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.db.webhookEventCount(eventID: eventID) == 1)
            #expect(try stack.db.session(externalID: intentID)?.status == "paid")

            let late = try WebhookSigner.deliverSigned(stack.api, body: body)
            #expect(late.status == 200, "a later duplicate: \(late)")
            #expect(try stack.db.ledgerCount(paymentID: intentID) == 1)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
            #expect(try stack.waitForSync(intentID, uid: uid))
        }

        @Test("forged deliveries are 401 and write nothing; the genuine delivery still credits afterwards")
        func forgeries() throws {
            let stack = try Stack.connect()
            let (uid, intentID, eventID, body) = try Self.authorisedIntent(stack, tag: "forged")
            let secret = stack.env.webhookSecret
            let now = WebhookSigner.now()
            let stale = now - Int64(stack.env.webhookTolerance) - 60
            var tampered = body
            if let index = tampered.firstIndex(of: UInt8(ascii: "3")) { tampered[index] = UInt8(ascii: "9") }
            let genuine = WebhookSigner.header(body: body, secret: secret, timestamp: now)
            let forgeries: [(String, [UInt8], String?)] = [
                ("bad signature", body, "t=\(now),v1=\(String(repeating: "ab", count: 32))"),
                (
                    "wrong secret", body,
                    WebhookSigner.header(body: body, secret: "whsec_not_the_secret", timestamp: now)
                ),
                ("stale timestamp", body, WebhookSigner.header(body: body, secret: secret, timestamp: stale)),
                ("far-future timestamp", body, WebhookSigner.header(body: body, secret: secret, timestamp: now + 3600)),
                ("tampered body", tampered, genuine),
                ("missing header", body, nil),
                ("empty header", body, ""),
                ("v0 only", body, genuine.replacingOccurrences(of: "v1=", with: "v0=")),
                ("no timestamp", body, genuine.replacingOccurrences(of: "t=\(now),", with: "")),
            ]
            for (name, payload, header) in forgeries {
                let answer = try WebhookSigner.deliver(stack.api, body: payload, signature: header)
                #expect(answer.status == 401, "\(name): \(answer)")
                #expect(answer.errorName == "UnauthorizedException", "\(name): \(answer)")
                #expect(try stack.db.webhookEventCount(eventID: eventID) == 0, "\(name) left an event record")
            }
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.sandbox.captureCount(intentID) == 0)
            #expect(try stack.db.session(externalID: intentID)?.status == "pending")

            let answer = try WebhookSigner.deliver(stack.api, body: body, signature: genuine)
            #expect(answer.status == 200, "genuine delivery: \(answer)")
            #expect(answer.json?["received"]?.boolValue == true)
            #expect(try stack.db.ledgerCount(paymentID: intentID) == 1)
            #expect(try stack.db.webhookEventCount(eventID: eventID) == 1)
            #expect(try stack.sandbox.captureCount(intentID) == 1)
        }
    }
}

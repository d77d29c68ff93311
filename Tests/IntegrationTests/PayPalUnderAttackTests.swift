import Foundation
import PaymentsCore
import Signing
import Testing

extension Integration {
    /// PayPal deliveries written by an attacker, and a stuck PayPal, through nginx and MariaDB (issue 6, defects 3, 6
    /// and 7). The junk storm runs on a private stack: it uses up its responder's certificate fetch budget for a
    /// minute, which no other suite must see.
    @Suite("PayPal under attack", .serialized)
    struct PayPalUnderAttackTests {
        /// `PAYPAL-TRANSMISSION-TIME` for `offset` seconds from now.
        static func transmissionTime(_ offset: TimeInterval = 0) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: Date().addingTimeInterval(offset))
        }

        @Test(
            "bodies forged to the CRC-32 of a genuine delivery book nothing: refunds and reversals are re-read from PayPal"
        )
        func crcForgedAdjustments() throws {
            let (stack, paypal) = try PayPalSandboxControl.connect()
            let (uid, token, orderID) = try paypal.approvedOrder(amount: 2000, tag: "pp-crc")
            #expect(try paypal.capture(orderID, token: token).status == 200)
            let captureID = try paypal.captureID(orderID)
            let refund = try paypal.act("refund", orderID, amount: 300)
            let refundID = try #require(refund["id"]?.stringValue)
            #expect(try stack.waitForRow(refundID).amount == -300)
            let eventID = try #require(refund["sandbox_events"]?.arrayValue?.first?.stringValue)
            try paypal.waitForDelivery(orderID, type: "PAYMENT.CAPTURE.REFUNDED")
            // What an attacker holding one stored delivery has: its bytes and its signature headers.
            let genuine = try #require(try stack.db.webhookDelivery(eventID: eventID, gateway: "paypal"))
            let target = CRC32.checksum(genuine.payload)
            let forgeries: [(String, String, String, String)] = [
                ("a refund PayPal never made", "PAYMENT.CAPTURE.REFUNDED", "FORGED\(TestIDs.random(11))", "15.00"),
                ("a reversal PayPal never made", "PAYMENT.CAPTURE.REVERSED", "FORGED\(TestIDs.random(11))", "17.00"),
                ("the genuine refund with a larger amount", "PAYMENT.CAPTURE.REFUNDED", refundID, "19.00"),
            ]
            for (name, type, resourceID, value) in forgeries {
                let forgedEventID = "WH-FORGED-\(TestIDs.random(12))"
                let prefix =
                    #"{"id":"\#(forgedEventID)","event_type":"\#(type)","resource_type":"refund","resource":{"id":"\#(resourceID)","status":"COMPLETED","amount":{"currency_code":"USD","value":"\#(value)"},"links":[{"rel":"up","href":"https://api.paypal.com/v2/payments/captures/\#(captureID)"}]},"padding":""#
                let body = try #require(CRC32Forgery.body(prefix: prefix, suffix: #""}"#, matching: target))
                #expect(CRC32.checksum(body) == target && (try? JSONValue.parse(body)) != nil)
                let result = try stack.api.postRaw(
                    "paypal-handleWebhookEvents", body, token: nil, headers: genuine.headers)
                #expect(result.status == 401 && result.errorName == "UnauthorizedException", "\(name): \(result)")
                #expect(try stack.db.webhookEventCount(eventID: forgedEventID, gateway: "paypal") == 0, "\(name)")
                #expect(try stack.db.ledgerCount(paymentID: resourceID) == (resourceID == refundID ? 1 : 0), "\(name)")
            }
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).sorted() == [-300, 2000])
            // The genuine delivery, sent again, is still a duplicate that changes nothing.
            #expect(try paypal.redeliver(eventID) == 200)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).sorted() == [-300, 2000])
        }

        @Test(
            "a PAYPAL-TRANSMISSION-TIME outside the window is 401 and stores nothing; the genuine delivery still credits"
        )
        func transmissionTimeWindow() throws {
            let (stack, paypal) = try PayPalSandboxControl.connect()
            let (uid, orderID, eventID) = try paypal.undeliveredCompletion(amount: 2100, tag: "pp-time")
            for (name, offset) in [("five days old", -5.0 * 86_400), ("ten minutes ahead", 600.0)] {
                let time = Self.transmissionTime(offset)
                #expect(try paypal.redeliver(eventID, [("transmission_time", .string(time))]) == 401, "\(name)")
            }
            #expect(try paypal.redeliver(eventID, [("transmission_time", .string("yesterday"))]) == 401)
            #expect(try stack.db.webhookEventCount(eventID: eventID, gateway: "paypal") == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(
                try paypal.redeliver(eventID, [("transmission_time", .string(Self.transmissionTime(-3_600)))]) == 200)
            #expect(try stack.db.ledgerRow(paymentID: paypal.captureID(orderID))?.amount == 2100)
        }

        @Test("1,000 junk deliveries with varied certificate URLs cost at most a handful of certificate fetches")
        func junkCertificateURLs() throws {
            let own = try PrivateStack.start("ppjunk", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            let paypal = PayPalSandboxControl(stack: stack)
            // A genuine delivery first, so the genuine certificate is cached before the storm.
            let (uid, _, eventID) = try paypal.undeliveredCompletion(amount: 1200, tag: "pp-junk")
            #expect(try paypal.redeliver(eventID, [("webhook_id", .string("WH-NOT-OURS"))]) == 401)
            let before = try paypal.certificateRequestsTotal()
            let base = "http://127.0.0.1:\(stack.env.int("SANDBOX_PORT_BASE", default: 18100) + 2)"
            let run = TestIDs.random(8)
            let signature = Base64.encode((0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            let statuses = concurrently(8) { worker -> [Int] in
                (0..<125).map { index -> Int in
                    let n = worker * 125 + index
                    let paths = [
                        "/v1/notifications/certs/CERT-junk-\(run)-\(n)", "/junk/\(run)/\(n)",
                        "/v1/notifications/certs/CERT-junk-\(run)-same",
                        "/v1/notifications/certs/x/../../../v2/payments/refunds/\(n)",
                        "/v1/notifications/certs/CERT-\(n)?v=\(run)",
                    ]
                    let body = Array(
                        #"{"id":"WH-JUNK-\#(run)-\#(n)","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"R\#(n)"}}"#
                            .utf8)
                    let headers = [
                        ("PAYPAL-TRANSMISSION-ID", UUID().uuidString.lowercased()),
                        ("PAYPAL-TRANSMISSION-TIME", Self.transmissionTime()),
                        ("PAYPAL-TRANSMISSION-SIG", signature), ("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
                        ("PAYPAL-CERT-URL", base + paths[n % paths.count]),
                    ]
                    let result = try? stack.api.postRaw(
                        "paypal-handleWebhookEvents", body, token: nil, headers: headers)
                    return result?.status ?? -1
                }
            }.flatMap { $0 }
            let fetches = try paypal.certificateRequestsTotal() - before
            #expect(statuses.count == 1000 && statuses.allSatisfy { $0 == 401 || $0 == 503 }, "\(Set(statuses))")
            #expect(fetches <= 6, "the junk deliveries made \(fetches) certificate fetches")
            // The genuine sender is unaffected: its certificate is cached.
            #expect(try paypal.redeliver(eventID) == 200)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test("while PayPal's token endpoint hangs, one request waits for it and the others answer 503 at once")
        func hangingTokenEndpoint() throws {
            let (stack, paypal) = try PayPalSandboxControl.connect()
            let (_, token) = try stack.newUser("pp-hang")
            _ = try paypal.createOrder(token: token, amount: 700)
            try paypal.tokenHang(milliseconds: 4_000)
            defer { restoring("PayPal token hang") { try paypal.tokenHang(milliseconds: 0) } }
            try paypal.revokeTokens()
            let before = try paypal.tokenRequests()
            let body = JSONValue.object([("amount", .int(700)), ("recaptcha_token", .string("pass"))])
            // The first call finds its token refused (401) and fetches a new one: that fetch hangs for 4 s.
            let waiting = BackgroundCall { try stack.api.post("paypal-createOrder", body, token: token) }
            try #require(try eventually(timeout: 5, interval: 0.05) { try paypal.tokenRequests() > before })
            let answers = concurrently(8) { _ -> (Int, String?, Double) in
                let start = Date()
                let result = try? stack.api.post("paypal-createOrder", body, token: token)
                return (result?.status ?? -1, result?.errorName, Date().timeIntervalSince(start))
            }
            let health = try stack.api.get("health", token: nil)
            #expect(health.status == 200)
            for (status, name, seconds) in answers {
                #expect(status == 503 && name == "GatewayUnavailableException", "\(status) \(name ?? "")")
                #expect(seconds < 1.5, "answered after \(seconds) s")
            }
            let first = try #require(waiting.wait(timeout: 30), "the first call never answered")
            #expect(first.status == 200, "\(first)")
            #expect(try paypal.tokenRequests() == before + 1)
            try paypal.tokenHang(milliseconds: 0)
            _ = try paypal.createOrder(token: token, amount: 700)
        }
    }
}

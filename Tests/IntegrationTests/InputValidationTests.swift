import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Malformed input is 400 naming the field, unknown routes 404, oversize bodies 413 — and nothing is written
    /// (DESIGN §2, §3).
    @Suite("Input validation", .serialized)
    struct InputValidationTests {
        /// A raw JSON text body for `stripe-getPaymentIntent`.
        static func intentBody(_ amount: String?, platform: String? = "\"web\"") -> [UInt8] {
            var members: [String] = []
            if let amount { members.append("\"amount\":\(amount)") }
            members.append("\"recaptcha_token\":\"pass\"")
            if let platform { members.append("\"platform\":\(platform)") }
            return Array("{\(members.joined(separator: ","))}".utf8)
        }

        @Test("amount and platform errors are 400 BadRequestException naming the field; nothing written")
        func badFields() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("input")
            let min = stack.env.amountMin
            let max = stack.env.amountMax
            let cases: [(String, [UInt8], String)] = [
                ("amount as string", Self.intentBody("\"1000\""), "amount"),
                ("amount with fraction", Self.intentBody("1000.5"), "amount"),
                ("amount with .0", Self.intentBody("1000.0"), "amount"),
                ("amount with exponent", Self.intentBody("1e3"), "amount"),
                ("negative amount", Self.intentBody("-1000"), "amount"),
                ("amount below minimum", Self.intentBody(String(min - 1)), "amount"),
                ("amount above maximum", Self.intentBody(String(max + 1)), "amount"),
                ("amount zero", Self.intentBody("0"), "amount"),
                ("amount null", Self.intentBody("null"), "amount"),
                ("amount huge", Self.intentBody("100000000000000000000000"), "amount"),
                ("amount missing", Self.intentBody(nil), "amount"),
                ("platform invalid", Self.intentBody("1000", platform: "\"windows\""), "platform"),
                ("platform not a string", Self.intentBody("1000", platform: "3"), "platform"),
            ]
            for (name, body, field) in cases {
                let answer = try stack.api.postRaw("stripe-getPaymentIntent", body, token: token)
                #expect(answer.status == 400, "\(name): \(answer)")
                #expect(answer.errorName == "BadRequestException", "\(name): \(answer)")
                #expect(answer.errorMessage?.contains(field) == true, "\(name) should name \(field): \(answer)")
            }
            for (name, body) in [
                ("not JSON", Array("amount=1000".utf8)), ("truncated JSON", Array("{\"amount\":10".utf8)),
                ("empty body", [UInt8]()),
            ] {
                let answer = try stack.api.postRaw("stripe-getPaymentIntent", body, token: token)
                #expect(answer.status == 400, "\(name): \(answer)")
                #expect(answer.errorName == "BadRequestException", "\(name): \(answer)")
            }
            #expect(try stack.db.sessionCount(uid: uid) == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)

            let boundary = try stack.api.postRaw("stripe-getPaymentIntent", Self.intentBody(String(min)), token: token)
            #expect(boundary.status == 200, "the minimum itself is allowed: \(boundary)")
            let noPlatform = try stack.api.postRaw(
                "stripe-getPaymentIntent", Self.intentBody(String(max), platform: nil), token: token)
            #expect(noPlatform.status == 200, "absent platform means web, the maximum is allowed: \(noPlatform)")
            #expect(try stack.db.sessionCount(uid: uid) == 2)
        }

        @Test("unknown routes are 404 NotFoundException")
        func unknownRoutes() throws {
            let stack = try Stack.connect()
            let (_, token) = try stack.newUser("route")
            for route in ["stripe-noSuchAction", "nosuchgateway-createOrder", "app-getNothing"] {
                let post = try stack.api.post(route, .object([]), token: token)
                #expect(post.status == 404, "POST \(route): \(post)")
                #expect(post.errorName == "NotFoundException")
            }
            let get = try stack.api.get("no-such-route", token: nil)
            #expect(get.status == 404, "\(get)")
            #expect(get.errorName == "NotFoundException")
        }

        @Test("a body over MAX_BODY_BYTES is 413 PayloadTooLargeException and writes nothing")
        func bodyTooLarge() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("large")
            let limit = stack.env.maxBodyBytes
            var body = Array("{\"amount\":1000,\"recaptcha_token\":\"pass\",\"platform\":\"web\",\"pad\":\"".utf8)
            body += Array(repeating: UInt8(ascii: "x"), count: limit)
            body += Array("\"}".utf8)
            let answer = try stack.api.postRaw("stripe-getPaymentIntent", body, token: token)
            #expect(answer.status == 413, "\(answer)")
            #expect(answer.errorName == "PayloadTooLargeException", "\(answer)")
            let webhook = try WebhookSigner.deliverSigned(stack.api, body: body)
            #expect(webhook.status == 413, "webhook: \(webhook)")
            #expect(try stack.db.sessionCount(uid: uid) == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }
    }
}

import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Firebase ID tokens, the email check, reCAPTCHA and the per-uid rate limit (DESIGN §3, §4).
    @Suite("Authentication and abuse control", .serialized)
    struct AuthenticationTests {
        @Test("missing, malformed, expired, mis-addressed or mis-signed tokens are 401 and write nothing")
        func invalidTokens() throws {
            let stack = try Stack.connect()
            let uid = TestIDs.uid("auth")
            let now = WebhookSigner.now()
            let mint = stack.sandbox
            let cases: [(String, String?)] = [
                ("no token", nil),
                ("garbage", "not-a-jwt"),
                ("garbage segments", "abc.def.ghi"),
                (
                    "expired",
                    try mint.mintToken(
                        uid: uid,
                        claims: [
                            ("exp", .int(now - 3600)), ("iat", .int(now - 7200)), ("auth_time", .int(now - 7200)),
                        ])
                ),
                ("wrong aud", try mint.mintToken(uid: uid, claims: [("aud", .string("someone-else"))])),
                (
                    "wrong iss",
                    try mint.mintToken(
                        uid: uid, claims: [("iss", .string("https://securetoken.google.com/someone-else"))])
                ),
                ("iat in the future", try mint.mintToken(uid: uid, claims: [("iat", .int(now + 3600))])),
                ("alg HS256", try mint.mintToken(uid: uid, header: [("alg", .string("HS256"))])),
                ("alg none", try mint.mintToken(uid: uid, header: [("alg", .string("none"))], signature: "none")),
                ("corrupt signature", try mint.mintToken(uid: uid, signature: "corrupt")),
                ("unknown kid", try mint.mintToken(uid: uid, header: [("kid", .string("itest-unknown-kid"))])),
                ("empty sub", try mint.mintToken(uid: uid, claims: [("sub", .string(""))])),
                (
                    "sub over 128",
                    try mint.mintToken(uid: uid, claims: [("sub", .string(String(repeating: "x", count: 129)))])
                ),
            ]
            for (name, token) in cases {
                let transactions = try stack.api.get("app-getTransactions", token: token)
                #expect(transactions.status == 401, "\(name): \(transactions)")
                #expect(transactions.errorName == "UnauthorizedException", "\(name): \(transactions)")
                let intent = try stack.api.createIntent(amount: 1000, token: token)
                #expect(intent.status == 401, "\(name) on stripe-getPaymentIntent: \(intent)")
                #expect(intent.errorName == "UnauthorizedException")
            }
            let valid = try mint.mintToken(uid: uid)
            let noBearer = try stack.api.get("app-getTransactions", token: nil, headers: [("Authorization", valid)])
            #expect(noBearer.status == 401, "token without the Bearer scheme: \(noBearer)")
            #expect(try stack.db.sessionCount(uid: uid) == 0)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)

            let ok = try stack.api.get("app-getTransactions", token: valid)
            #expect(ok.status == 200, "the valid token: \(ok)")
        }

        @Test("password account with an unverified email is 403 EmailNotVerifiedException on client routes")
        func unverifiedEmail() throws {
            let stack = try Stack.connect()
            let uid = TestIDs.uid("unverified")
            let token = try stack.sandbox.mintToken(uid: uid, emailVerified: false, provider: "password")
            let intent = try stack.api.createIntent(amount: 1000, token: token)
            #expect(intent.status == 403, "\(intent)")
            #expect(intent.errorName == "EmailNotVerifiedException")
            let transactions = try stack.api.get("app-getTransactions", token: token)
            #expect(transactions.status == 403, "\(transactions)")
            #expect(transactions.errorName == "EmailNotVerifiedException")
            #expect(try stack.db.sessionCount(uid: uid) == 0)

            let keys = try stack.api.get("app-getPublicKeys", token: token)
            #expect(keys.status == 200, "app-getPublicKeys needs no verified email: \(keys)")

            let verified = try stack.sandbox.mintToken(uid: uid, emailVerified: true, provider: "password")
            #expect(try stack.api.get("app-getTransactions", token: verified).status == 200)
            let google = try stack.sandbox.mintToken(uid: uid, emailVerified: false, provider: "google.com")
            #expect(
                try stack.api.get("app-getTransactions", token: google).status == 200, "only password accounts need it")
        }

        @Test(
            "reCAPTCHA: low score, bad or missing token on web are 400 naming recaptcha_token; verify endpoint down is 503"
        )
        func recaptcha() throws {
            let stack = try Stack.connect()
            try #require(
                stack.env.recaptchaEnabled, "RECAPTCHA_ENABLED must be true in the test env file to test reCAPTCHA")
            let (uid, token) = try stack.newUser("recaptcha")
            for recaptcha in ["low", "bad-token"] {
                let answer = try stack.api.createIntent(amount: 1000, token: token, recaptcha: recaptcha)
                #expect(answer.status == 400, "\(recaptcha): \(answer)")
                #expect(answer.errorName == "BadRequestException")
                #expect(answer.errorMessage?.contains("recaptcha_token") == true, "\(recaptcha): \(answer)")
            }
            let missing = try stack.api.post(
                "stripe-getPaymentIntent", .object([("amount", .int(1000)), ("platform", .string("web"))]), token: token
            )
            #expect(missing.status == 400, "missing token: \(missing)")
            #expect(missing.errorMessage?.contains("recaptcha_token") == true)
            #expect(try stack.db.sessionCount(uid: uid) == 0)

            try stack.sandbox.recaptcha(down: true)
            let down: HTTPResult
            do {
                defer { restoring("reCAPTCHA") { try stack.sandbox.recaptcha(down: false) } }
                down = try stack.api.createIntent(amount: 1000, token: token)
            }
            #expect(down.status == 503, "verify endpoint down: \(down)")
            #expect(try stack.db.sessionCount(uid: uid) == 0)

            let app = try stack.api.createIntent(amount: 1000, token: token, recaptcha: "bad-token", platform: "ios")
            #expect(app.status == 200, "reCAPTCHA applies to the web platform only: \(app)")
            let web = try stack.api.createIntent(amount: 1000, token: token)
            #expect(web.status == 200, "after the outage: \(web)")
            #expect(try stack.db.sessionCount(uid: uid) == 2)
        }

        @Test(
            "reCAPTCHA: each web payment route takes only its own action and, with RECAPTCHA_HOSTNAMES, its own sites"
        )
        func recaptchaActionAndHostname() throws {
            let stack = try Stack.connect()
            try #require(
                stack.env.recaptchaEnabled, "RECAPTCHA_ENABLED must be true in the test env file to test reCAPTCHA")
            try #require(
                stack.env.value("RECAPTCHA_HOSTNAMES") == "localhost",
                "the test env file lists the sandbox's hostname in RECAPTCHA_HOSTNAMES")
            let (uid, token) = try stack.newUser("recaptcha-action")
            func paypal(_ recaptcha: String) throws -> HTTPResult {
                try stack.api.post(
                    "paypal-createOrder",
                    .object([("amount", .int(1000)), ("recaptcha_token", .string(recaptcha))]), token: token)
            }
            let refused: [(String, () throws -> HTTPResult)] = [
                (
                    "stripe with a login token",
                    { try stack.api.createIntent(amount: 1000, token: token, recaptcha: "pass:login") }
                ),
                (
                    "stripe with paypal's action",
                    { try stack.api.createIntent(amount: 1000, token: token, recaptcha: "pass:paypal_payment") }
                ),
                (
                    "stripe solved on another site",
                    {
                        try stack.api.createIntent(
                            amount: 1000, token: token, recaptcha: "pass:stripe_payment:evil.example")
                    }
                ),
                ("paypal with stripe's action", { try paypal("pass:stripe_payment") }),
                ("paypal solved on another site", { try paypal("pass:paypal_payment:evil.example") }),
            ]
            for (name, call) in refused {
                let answer = try call()
                #expect(answer.status == 400, "\(name): \(answer)")
                #expect(answer.errorName == "BadRequestException", "\(name)")
                #expect(answer.errorMessage?.contains("recaptcha_token") == true, "\(name): \(answer)")
            }
            #expect(try stack.db.sessionCount(uid: uid) == 0, "a refused token opens no session")

            let stripe = try stack.api.createIntent(amount: 1000, token: token, recaptcha: "pass:stripe_payment")
            #expect(stripe.status == 200, "stripe's own action: \(stripe)")
            let order = try paypal("pass:paypal_payment:LOCALHOST")
            #expect(order.status == 200, "paypal's own action on a listed site: \(order)")
            #expect(try stack.db.sessionCount(uid: uid) == 2)
        }

        @Test(
            "per-uid rate limit: over RATE_LIMIT_UID_PER_MINUTE answers 429 with x-ratelimit-reset; other uids unaffected"
        )
        func rateLimit() throws {
            let stack = try Stack.connect()
            let limit = stack.env.rateLimitPerMinute
            try #require(limit <= 1000, "RATE_LIMIT_UID_PER_MINUTE \(limit) is too large to exhaust in a test")
            // Start early in a minute so a fixed window aligned on minutes cannot roll over during the burst.
            let second = WebhookSigner.now() % 60
            if second > 40 { pause(Double(61 - second)) }
            let (_, token) = try stack.newUser("ratelimit")
            let api = stack.api
            let statuses = concurrently(8) { worker in
                stride(from: worker, to: limit, by: 8).map { _ in
                    (try? api.get("app-getTransactions", token: token))?.status ?? -1
                }
            }.flatMap { $0 }
            #expect(statuses.count == limit)
            #expect(statuses.allSatisfy { $0 == 200 }, "within the limit: \(Set(statuses))")
            let over = try stack.api.get("app-getTransactions", token: token)
            #expect(over.status == 429, "request \(limit + 1): \(over)")
            #expect(over.errorName == "TooManyRequestsException")
            let reset = try #require(
                Int64(over.header("x-ratelimit-reset") ?? ""), "x-ratelimit-reset missing: \(over.headers)")
            let now = WebhookSigner.now()
            #expect(
                reset >= now && reset <= now + 61,
                "x-ratelimit-reset \(reset) is not the end of the current window (now \(now))")

            let (_, otherToken) = try stack.newUser("ratelimit-other")
            #expect(try stack.api.get("app-getTransactions", token: otherToken).status == 200)
            let health = try stack.api.get("health", token: nil)
            #expect(health.status == 200, "health is never rate-limited")
        }
    }
}

import PaymentsCore
import Synchronization
import Testing

/// Emulates the siteverify endpoint: the answer depends on the `response` token, and every request is recorded.
private final class SiteVerifyTransport: HTTPTransport {
    struct State {
        var requests: [HTTPRequest] = []
        var down = false
        var status = 200
    }

    let state = Mutex(State())

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try state.withLock { s in
            s.requests.append(request)
            if s.down { throw HTTPTransportError(.timeout, "timed out") }
            let form = FormEncoding.parse(String(decoding: request.body, as: UTF8.self))
            let token = form.first { $0.0 == "response" }?.1 ?? ""
            let answer: String
            switch token {
            case "pass": answer = #"{"success":true,"score":0.9,"action":"payment","hostname":"localhost"}"#
            case "edge": answer = #"{"success":true,"score":0.5}"#
            case "low": answer = #"{"success":true,"score":0.1,"action":"payment"}"#
            case "v2": answer = #"{"success":true}"#
            case "login": answer = #"{"success":true,"score":0.9,"action":"login"}"#
            case "elsewhere": answer = #"{"success":true,"score":0.9,"action":"payment","hostname":"evil.example"}"#
            case "huge": answer = #"{"success":true,"score":1e400,"action":"payment"}"#
            case "above": answer = #"{"success":true,"score":1.5,"action":"payment"}"#
            default: answer = #"{"success":false,"error-codes":["invalid-input-response"]}"#
            }
            return HTTPResponse(
                status: s.status, headers: ["content-type": "application/json"], body: Array(answer.utf8))
        }
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }
}

private struct Harness {
    let transport = SiteVerifyTransport()
    let verifier: RecaptchaVerifier

    init(enabled: Bool = true, hostnames: [String] = []) {
        let configuration = RecaptchaConfiguration(
            enabled: enabled, secret: Secret("recaptcha_sandbox_secret"),
            verifyURL: "http://127.0.0.1:18100/recaptcha/api/siteverify", minScore: 0.5, hostnames: hostnames)
        verifier = RecaptchaVerifier(configuration: configuration, transport: transport, timeout: 5)
    }

    /// The error `check` throws, or nil when it accepts.
    func failure(_ token: String?, platform: String = "web", actions: [String] = ["payment"]) -> APIError? {
        do {
            try verifier.check(token: token, platform: platform, expectedActions: actions)
            return nil
        } catch {
            return error
        }
    }
}

@Suite struct RecaptchaVerifierTests {
    @Test func disabledIgnoresTheToken() {
        let h = Harness(enabled: false)
        #expect(h.failure(nil) == nil)
        #expect(h.failure("") == nil)
        #expect(h.failure("garbage") == nil)
        #expect(h.transport.requests.isEmpty)
    }

    @Test func webPassPostsTheForm() throws {
        let h = Harness()
        #expect(h.failure("pass") == nil)
        let request = try #require(h.transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "http://127.0.0.1:18100/recaptcha/api/siteverify")
        #expect(request.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/x-www-form-urlencoded" })
        #expect(String(decoding: request.body, as: UTF8.self) == "secret=recaptcha_sandbox_secret&response=pass")
    }

    @Test func scoreAtTheMinimumPasses() {
        #expect(Harness().failure("edge") == nil)
    }

    @Test func tokenWithoutScoreIsJudgedBySuccess() {
        #expect(Harness().failure("v2") == nil)
    }

    @Test(arguments: ["low", "wrong", "login", "huge", "above"])
    func rejectedTokenIsBadRequestNamingTheField(_ token: String) throws {
        let h = Harness()
        let error = try #require(h.failure(token))
        #expect(error.code == .badRequest)
        #expect(error.code.status == 400)
        #expect(error.message.contains("recaptcha_token"))
        #expect(h.transport.requests.count == 1)
    }

    @Test func actionIsIgnoredWhenTheRouteExpectsNone() {
        #expect(Harness().failure("login", actions: []) == nil)
    }

    @Test func hostnameIsNotCheckedWithoutAList() {
        #expect(Harness().failure("elsewhere") == nil)
    }

    @Test func hostnameMustBeListedWhenAListIsConfigured() throws {
        let h = Harness(hostnames: ["LocalHost", "pay.example.com"])
        #expect(h.failure("pass") == nil, "hostnames compare case-insensitively")
        for token in ["elsewhere", "edge"] {
            let error = try #require(h.failure(token), "\(token) has no listed hostname")
            #expect(error.code == .badRequest)
            #expect(error.message.contains("recaptcha_token"))
        }
    }

    @Test(arguments: [nil, ""] as [String?])
    func missingTokenIsBadRequestWithoutACall(_ token: String?) throws {
        let h = Harness()
        let error = try #require(h.failure(token))
        #expect(error.code == .badRequest)
        #expect(error.message.contains("recaptcha_token"))
        #expect(h.transport.requests.isEmpty)
    }

    @Test func endpointDownIsServiceUnavailable() throws {
        let h = Harness()
        h.transport.state.withLock { $0.down = true }
        let error = try #require(h.failure("pass"))
        #expect(error.code.status == 503)
        #expect(error.code.name == "GatewayUnavailableException")
        h.transport.state.withLock {
            $0.down = false
            $0.status = 500
        }
        #expect(h.failure("pass")?.code.status == 503)
    }

    @Test(arguments: ["ios", "android"])
    func mobilePlatformsSkipTheCheck(_ platform: String) {
        let h = Harness()
        #expect(h.failure(nil, platform: platform) == nil)
        #expect(h.failure("wrong", platform: platform) == nil)
        #expect(h.transport.requests.isEmpty)
    }

    @Test func configurationDefaultsAndRequirements() throws {
        let disabled = try RecaptchaConfiguration(ConfigReader([:]))
        #expect(!disabled.enabled)
        #expect(disabled.minScore == 0.5)
        let enabled = try RecaptchaConfiguration(
            ConfigReader([
                "RECAPTCHA_ENABLED": "true", "RECAPTCHA_SECRET": "s",
                "RECAPTCHA_VERIFY_URL": "http://127.0.0.1:1/verify",
                "RECAPTCHA_MIN_SCORE": "0.7",
            ]))
        #expect(enabled.enabled && enabled.secret.value == "s" && enabled.minScore == 0.7)
        #expect(enabled.hostnames.isEmpty, "RECAPTCHA_HOSTNAMES is optional")
        let listed = try RecaptchaConfiguration(
            ConfigReader([
                "RECAPTCHA_ENABLED": "true", "RECAPTCHA_SECRET": "s",
                "RECAPTCHA_VERIFY_URL": "http://127.0.0.1:1/verify",
                "RECAPTCHA_HOSTNAMES": " Pay.Example.com, localhost ",
            ]))
        #expect(listed.hostnames == ["pay.example.com", "localhost"])
        #expect("\(enabled.secret)" == "<redacted>")
        for (missing, values) in [
            ("RECAPTCHA_SECRET", ["RECAPTCHA_ENABLED": "1", "RECAPTCHA_VERIFY_URL": "http://127.0.0.1:1/verify"]),
            ("RECAPTCHA_VERIFY_URL", ["RECAPTCHA_ENABLED": "true", "RECAPTCHA_SECRET": "s"]),
            ("RECAPTCHA_MIN_SCORE", ["RECAPTCHA_MIN_SCORE": "2"]),
            ("RECAPTCHA_ENABLED", ["RECAPTCHA_ENABLED": "yes"]),
        ] {
            do {
                _ = try RecaptchaConfiguration(ConfigReader(values))
                Issue.record("accepted without \(missing)")
            } catch {
                #expect(error.variable == missing)
            }
        }
    }
}

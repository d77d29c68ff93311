import Dispatch
import Foundation
import PaymentsCore
import Signing
import Synchronization
import Testing

/// Serves a Firebase-style certificate JSON (kid → PEM) and records every fetch.
private final class CertsTransport: HTTPTransport {
    struct State {
        var fetches = 0
        var body: [UInt8] = []
        var status = 200
        var cacheControl: String? = "public, max-age=3600, must-revalidate, no-transform"
        var down = false
    }

    let state = Mutex(State())

    init(certificates: [(String, Certificate)]) { serve(certificates) }

    func serve(_ certificates: [(String, Certificate)]) {
        let json = JSONValue.object(certificates.map { ($0.0, JSONValue.string($0.1.pem)) }).serialized()
        state.withLock { $0.body = Array(json.utf8) }
    }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try state.withLock { s in
            #expect(request.method == "GET")
            #expect(request.url == FirebaseFixture.certsURL)
            s.fetches += 1
            if s.down { throw HTTPTransportError(.connection, "connection refused") }
            var headers = ["content-type": "application/json; charset=UTF-8"]
            if let cacheControl = s.cacheControl { headers["cache-control"] = cacheControl }
            return HTTPResponse(status: s.status, headers: headers, body: s.body)
        }
    }

    var fetches: Int { state.withLock { $0.fetches } }
    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
}

/// A settable clock for the authenticator.
private final class TestClock: Sendable {
    let seconds: Atomic<Int64>
    init(_ start: Int64) { seconds = Atomic(start) }
    var now: Int64 { seconds.load(ordering: .relaxed) }
    func advance(_ delta: Int64) { seconds.add(delta, ordering: .relaxed) }
}

private enum FirebaseFixture {
    static let project = "tn-sandbox"
    static let certsURL = "http://127.0.0.1:18100/firebase/certs"
    static let start: Int64 = 1_500_000_000
    static let key: PrivateKey? = try? PrivateKey.generateRSA()
    static let otherKey: PrivateKey? = try? PrivateKey.generateRSA()

    static func certificate(_ key: PrivateKey) throws -> Certificate {
        try Certificate.issue(
            commonName: "securetoken", subjectKey: key, issuer: nil, issuerKey: key, isCA: false, days: 30)
    }

    /// A token for `tn-sandbox` issued 100 s before `now`, with the given claims replaced (nil removes one).
    static func token(
        now: Int64, key: PrivateKey, kid: String = "kid-1", alg: String = "RS256",
        changes: [(String, JSONValue?)] = []
    ) throws -> String {
        var claims: JSONValue = .object([
            ("iss", .string("https://securetoken.google.com/\(project)")), ("aud", .string(project)),
            ("auth_time", .int(now - 100)), ("user_id", .string("user-1")), ("sub", .string("user-1")),
            ("iat", .int(now - 100)), ("exp", .int(now + 3500)), ("email", .string("a@example.com")),
            ("email_verified", .bool(true)),
            ("firebase", .object([("identities", .object([])), ("sign_in_provider", .string("password"))])),
        ])
        for (name, value) in changes {
            if let value {
                claims = claims.setting(name, value)
            } else if case let .object(members) = claims {
                claims = .object(members.filter { $0.0 != name })
            }
        }
        let header: JSONValue = .object([("alg", .string(alg)), ("kid", .string(kid)), ("typ", .string("JWT"))])
        return try JSONWebToken.sign(header: header, payload: claims, key: key, algorithm: .rsaPKCS1SHA256)
    }
}

private struct Harness {
    let transport: CertsTransport
    let clock = TestClock(FirebaseFixture.start)
    let authenticator: FirebaseAuthenticator
    let key: PrivateKey

    init(extra: [(String, Certificate)] = []) throws {
        key = try #require(FirebaseFixture.key)
        transport = CertsTransport(certificates: [("kid-1", try FirebaseFixture.certificate(key))] + extra)
        let clock = self.clock
        authenticator = FirebaseAuthenticator(
            configuration: FirebaseConfiguration(
                projectID: FirebaseFixture.project, certsURL: FirebaseFixture.certsURL),
            transport: transport, timeout: 5, now: { clock.now })
    }

    func token(kid: String = "kid-1", alg: String = "RS256", _ changes: [(String, JSONValue?)] = []) throws -> String {
        try FirebaseFixture.token(now: clock.now, key: key, kid: kid, alg: alg, changes: changes)
    }

    func authenticate(_ token: String) throws(APIError) -> AuthenticatedUser {
        try authenticator.authenticate(authorizationHeader: "Bearer " + token)
    }

    /// The error `authenticate` throws, or nil when it succeeds.
    func failure(_ header: String?) -> APIError? {
        do {
            _ = try authenticator.authenticate(authorizationHeader: header)
            return nil
        } catch {
            return error
        }
    }

    func failure(token: String) -> APIError? { failure("Bearer " + token) }
}

@Suite struct FirebaseAuthenticatorTests {
    @Test func validTokenYieldsUserAndCachesCertificates() throws {
        let h = try Harness()
        let user = try h.authenticate(try h.token())
        #expect(user == AuthenticatedUser(uid: "user-1", emailVerified: true, signInProvider: "password"))
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 1)
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"])
    func missingOrOtherSchemeIsUnauthorized(_ header: String?) throws {
        let h = try Harness()
        #expect(h.failure(header)?.code == .unauthorized)
        #expect(h.transport.fetches == 0)
    }

    @Test func schemeIsCaseInsensitive() throws {
        let h = try Harness()
        #expect(h.failure("bearer " + (try h.token())) == nil)
    }

    @Test func expiryHasSixtySecondsLeeway() throws {
        let h = try Harness()
        let now = h.clock.now
        #expect(h.failure(token: try h.token([("exp", .int(now - 61))]))?.code == .unauthorized)
        #expect(h.failure(token: try h.token([("exp", .int(now - 30))])) == nil)
    }

    @Test func futureIssuedAtOrAuthTimeBeyondLeewayIsUnauthorized() throws {
        let h = try Harness()
        let now = h.clock.now
        #expect(h.failure(token: try h.token([("iat", .int(now + 61))]))?.code == .unauthorized)
        #expect(h.failure(token: try h.token([("auth_time", .int(now + 120))]))?.code == .unauthorized)
        #expect(h.failure(token: try h.token([("iat", .int(now + 30)), ("auth_time", .int(now + 30))])) == nil)
    }

    @Test(arguments: ["exp", "iat", "auth_time", "aud", "iss", "sub"])
    func missingClaimIsUnauthorized(_ claim: String) throws {
        let h = try Harness()
        #expect(h.failure(token: try h.token([(claim, nil)]))?.code == .unauthorized)
    }

    @Test func wrongAudienceOrIssuerIsUnauthorized() throws {
        let h = try Harness()
        #expect(h.failure(token: try h.token([("aud", .string("other-project"))]))?.code == .unauthorized)
        #expect(
            h.failure(token: try h.token([("iss", .string("https://securetoken.google.com/other-project"))]))?.code
                == .unauthorized)
        #expect(h.failure(token: try h.token([("aud", .array([.string("tn-sandbox")]))]))?.code == .unauthorized)
    }

    @Test func subjectLengthIsOneTo128() throws {
        let h = try Harness()
        #expect(h.failure(token: try h.token([("sub", .string(""))]))?.code == .unauthorized)
        #expect(
            h.failure(token: try h.token([("sub", .string(String(repeating: "u", count: 129)))]))?.code == .unauthorized
        )
        let long = String(repeating: "u", count: 128)
        #expect(try h.authenticate(try h.token([("sub", .string(long))])).uid == long)
    }

    @Test func onlyRS256IsAccepted() throws {
        let h = try Harness()
        let signed = try h.token()
        let parts = signed.split(separator: ".").map(String.init)
        // alg "none" with an empty or a copied signature.
        let none = Base64.urlEncode(Array(#"{"alg":"none","kid":"kid-1"}"#.utf8))
        #expect(h.failure(token: none + "." + parts[1] + ".")?.code == .unauthorized)
        #expect(h.failure(token: none + "." + parts[1] + "." + parts[2])?.code == .unauthorized)
        // HS256 keyed with the public certificate, the classic algorithm-confusion forgery.
        let hs = Base64.urlEncode(Array(#"{"alg":"HS256","kid":"kid-1"}"#.utf8))
        let pem = try FirebaseFixture.certificate(h.key).pem
        let mac = HMAC.sha256(key: Array(pem.utf8), message: Array((hs + "." + parts[1]).utf8))
        #expect(h.failure(token: hs + "." + parts[1] + "." + Base64.urlEncode(mac))?.code == .unauthorized)
        #expect(h.failure(token: try h.token(alg: "RS512"))?.code == .unauthorized)
        #expect(h.transport.fetches == 0)
    }

    @Test func forgedOrTamperedSignatureIsUnauthorized() throws {
        let h = try Harness()
        let forged = try FirebaseFixture.token(now: h.clock.now, key: try #require(FirebaseFixture.otherKey))
        #expect(h.failure(token: forged)?.code == .unauthorized)
        let parts = try h.token().split(separator: ".").map(String.init)
        let otherPayload = Base64.urlEncode(
            Array(
                String(decoding: try #require(Base64.urlDecode(parts[1])), as: UTF8.self)
                    .replacingUser().utf8))
        #expect(h.failure(token: parts[0] + "." + otherPayload + "." + parts[2])?.code == .unauthorized)
    }

    @Test func unknownKeyRefetchesAtMostOncePerMinute() throws {
        let h = try Harness()
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 1)
        h.clock.advance(10)
        #expect(h.failure(token: try h.token(kid: "unknown"))?.code == .unauthorized)
        #expect(h.transport.fetches == 2)
        h.clock.advance(30)
        #expect(h.failure(token: try h.token(kid: "unknown"))?.code == .unauthorized)
        #expect(h.failure(token: try h.token(kid: "another"))?.code == .unauthorized)
        #expect(h.transport.fetches == 2)
        // Known keys keep working without fetching.
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 2)
        h.clock.advance(31)
        #expect(h.failure(token: try h.token(kid: "unknown"))?.code == .unauthorized)
        #expect(h.transport.fetches == 3)
    }

    @Test func rotatedKeyIsFoundByTheRefetch() throws {
        let h = try Harness()
        _ = try h.authenticate(try h.token())
        let newKey = try #require(FirebaseFixture.otherKey)
        h.transport.serve([
            ("kid-1", try FirebaseFixture.certificate(h.key)), ("kid-2", try FirebaseFixture.certificate(newKey)),
        ])
        let token = try FirebaseFixture.token(now: h.clock.now, key: newKey, kid: "kid-2")
        #expect(try h.authenticate(token).uid == "user-1")
        #expect(h.transport.fetches == 2)
    }

    @Test func certificatesUnavailableIsServiceUnavailableNeverUnauthorized() throws {
        let h = try Harness()
        h.transport.setDown(true)
        for _ in 0..<7 {
            let error = try #require(h.failure(token: try h.token()))
            #expect(error.code == .circuitOpen)
            #expect(error.code.status == 503)
            #expect(error.code.name == "GatewayUnavailableException")
        }
        // With no key to check it against, even an expired token is unverifiable: 503, never 401.
        #expect(h.failure(token: try h.token([("exp", .int(h.clock.now - 3600))]))?.code == .circuitOpen)
    }

    /// Claims are read only from a verified token: a forged one with an absurd `exp` never reaches the claim checks.
    @Test func signatureIsCheckedBeforeTheClaims() throws {
        let h = try Harness()
        let forged = try FirebaseFixture.token(
            now: h.clock.now, key: try #require(FirebaseFixture.otherKey),
            changes: [("exp", .number("9223372036854775807"))])
        #expect(h.failure(token: forged)?.message == "invalid token")
        #expect(h.transport.fetches == 1)
    }

    /// Time claims at and beyond the edges of Int64 are 401, never a trap (issue 6, item 1).
    @Test func extremeTimeClaimsAreUnauthorized() throws {
        let h = try Harness()
        let now = h.clock.now
        let cases: [(String, JSONValue)] = [
            ("exp", .number("9223372036854775807")), ("exp", .number("9223372036854775748")),
            ("exp", .number("-9223372036854775808")), ("exp", .number("1e300")), ("exp", .number("-1e400")),
            ("exp", .number("99999999999999999999")), ("exp", .number("1700000000.5")), ("exp", .int(-1)),
            ("exp", .int(now + 3600 + 61)), ("exp", .string("\(now + 3000)")),
            ("iat", .number("9223372036854775807")), ("iat", .number("1e300")), ("iat", .int(now + 61)),
            ("auth_time", .number("9223372036854775807")), ("auth_time", .number("99999999999999999999")),
        ]
        for (claim, value) in cases {
            let error = h.failure(token: try h.token([(claim, value)]))
            #expect(error?.code == .unauthorized, "\(claim) = \(value.serialized())")
        }
        // The far edges of validity still pass: an hour's lifetime ahead, and issue times long past.
        #expect(h.failure(token: try h.token([("exp", .int(now + 3600 + 60))])) == nil)
        #expect(h.failure(token: try h.token([("iat", .number("-9223372036854775808"))])) == nil)
        #expect(h.failure(token: try h.token([("auth_time", .int(0))])) == nil)
    }

    @Test func certificateEndpointErrorStatusIsServiceUnavailable() throws {
        let h = try Harness()
        h.transport.state.withLock { $0.status = 404 }
        #expect(h.failure(token: try h.token())?.code.status == 503)
        h.transport.state.withLock {
            $0.status = 200
            $0.body = Array("not json".utf8)
        }
        #expect(h.failure(token: try h.token())?.code.status == 503)
    }

    @Test func unknownKeyWhileEndpointDownIsServiceUnavailable() throws {
        let h = try Harness()
        _ = try h.authenticate(try h.token())
        h.transport.setDown(true)
        h.clock.advance(5)
        #expect(h.failure(token: try h.token(kid: "kid-2"))?.code.status == 503)
        // The failed refetch does not use up the minute: the next try fetches again rather than answering 401.
        #expect(h.failure(token: try h.token(kid: "kid-2"))?.code.status == 503)
        #expect(h.transport.fetches == 3)
    }

    @Test func staleCachedKeyIsUsedWhenRefreshFails() throws {
        let h = try Harness()
        h.transport.state.withLock { $0.cacheControl = "max-age=10" }
        _ = try h.authenticate(try h.token())
        h.transport.setDown(true)
        h.clock.advance(20)
        #expect(try h.authenticate(try h.token()).uid == "user-1")
        #expect(h.transport.fetches == 2)
        // The stale key also verifies an expired token, which is then 401 although Google is unreachable.
        #expect(h.failure(token: try h.token([("exp", .int(h.clock.now - 3600))]))?.code == .unauthorized)
    }

    @Test func cacheControlMaxAgeIsHonoured() throws {
        let h = try Harness()
        h.transport.state.withLock { $0.cacheControl = "public, max-age=100, must-revalidate" }
        _ = try h.authenticate(try h.token())
        h.clock.advance(50)
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 1)
        h.clock.advance(51)
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 2)
    }

    /// A `max-age` at the edge of Int64 must not overflow the expiry time; it is capped at a day.
    @Test(arguments: ["max-age=9223372036854775807", "max-age=99999999999999999999", "max-age=-1", "max-age=1e300"])
    func extremeMaxAgeIsCapped(_ cacheControl: String) throws {
        let h = try Harness()
        h.transport.state.withLock { $0.cacheControl = cacheControl }
        _ = try h.authenticate(try h.token())
        h.clock.advance(FirebaseCertificateCache.maxCacheSeconds + 1)
        _ = try h.authenticate(try h.token())
        #expect(h.transport.fetches == 2)
    }

    @Test func unverifiedPasswordAccountIsReported() throws {
        let h = try Harness()
        let unverified = try h.authenticate(try h.token([("email_verified", .bool(false))]))
        #expect(unverified == AuthenticatedUser(uid: "user-1", emailVerified: false, signInProvider: "password"))
        #expect(try h.authenticate(try h.token([("email_verified", nil)])).emailVerified == false)
        #expect(try h.authenticate(try h.token([("email_verified", .string("true"))])).emailVerified == false)
        let google = try h.authenticate(
            try h.token([
                ("email_verified", .bool(false)), ("firebase", .object([("sign_in_provider", .string("google.com"))])),
            ]))
        #expect(google.signInProvider == "google.com")
    }

    @Test func concurrentRequestsShareOneCache() throws {
        let h = try Harness()
        let tokens = try (0..<4).map { _ in try h.token() }
        _ = try h.authenticate(tokens[0])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            if h.failure(token: tokens[index % tokens.count]) != nil { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(h.transport.fetches == 1)
    }

    @Test func configurationReadsProjectAndCertsURL() throws {
        let configured = try FirebaseConfiguration(
            ConfigReader([
                "FIREBASE_PROJECT_ID": "tn-sandbox", "FIREBASE_CERTS_URL": "http://127.0.0.1:8100/firebase/certs",
            ]))
        #expect(configured.projectID == "tn-sandbox")
        #expect(configured.certsURL == "http://127.0.0.1:8100/firebase/certs")
        #expect(configured.issuer == "https://securetoken.google.com/tn-sandbox")
        #expect(
            try FirebaseConfiguration(ConfigReader(["FIREBASE_PROJECT_ID": "p"])).certsURL
                == FirebaseConfiguration.liveCertsURL)
        do {
            _ = try FirebaseConfiguration(ConfigReader(["FIREBASE_PROJECT_ID": ""]))
            Issue.record("accepted an empty project")
        } catch {
            #expect(error.variable == "FIREBASE_PROJECT_ID")
        }
        #expect(throws: ConfigurationError.self) {
            try FirebaseConfiguration(ConfigReader(["FIREBASE_PROJECT_ID": "p", "FIREBASE_CERTS_URL": "ftp://x"]))
        }
    }
}

extension String {
    fileprivate func replacingUser() -> String {
        var copy = self
        if let range = copy.range(of: "user-1") { copy.replaceSubrange(range, with: "user-2") }
        return copy
    }
}

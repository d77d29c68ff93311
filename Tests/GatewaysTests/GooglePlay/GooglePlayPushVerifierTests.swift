import Gateways
import PaymentsCore
import Signing
import Testing

/// The Pub/Sub push OIDC token check.
@Suite struct GooglePlayPushVerifierTests {
    /// Two published keys (Google lists more than one while it rotates) and one that is not published.
    struct Keys {
        let published: [(kid: String, key: PrivateKey)]
        let rogue: PrivateKey
        let certs: FakeTransport
    }

    static let keys: Keys? = {
        guard let first = try? PrivateKey.generateRSA(), let second = try? PrivateKey.generateRSA(),
            let rogue = try? PrivateKey.generateRSA()
        else { return nil }
        let published = [("kid-a", first), ("kid-b", second)]
        guard
            let certificates = try? published.map({ kid, key in
                (
                    kid,
                    try Certificate.issue(
                        commonName: "accounts.google.com", subjectKey: key, issuer: nil, issuerKey: key, isCA: false,
                        days: 30)
                )
            })
        else { return nil }
        let body = JSONValue.object(certificates.map { ($0.0, .string($0.1.pem)) }).serialized()
        let certs = FakeTransport { _ in
            HTTPResponse(status: 200, headers: ["cache-control": "public, max-age=3600"], body: Array(body.utf8))
        }
        return Keys(published: published, rogue: rogue, certs: certs)
    }()

    static let now: Int64 = 1_800_000_000

    static func verifier() throws -> GooglePlayPushVerifier {
        let keys = try #require(Self.keys)
        let service = OutboundService(
            name: "google-oidc", transport: keys.certs, breaker: CircuitBreaker(service: "google-oidc"), timeout: 10)
        return GooglePlayPushVerifier(configuration: try GooglePlayFixtures.configuration(), service: service) {
            Self.now
        }
    }

    /// A push token as Pub/Sub makes it, then `changes` applied to the claims; signed by published key `index`, or
    /// by the rogue key under that key's `kid`.
    static func token(
        _ changes: [(String, JSONValue?)] = [], index: Int = 0, rogue: Bool = false, kid: String? = nil,
        alg: String = "RS256"
    ) throws -> String {
        let keys = try #require(Self.keys)
        var claims: [(String, JSONValue)] = [
            ("aud", .string("https://pay.test/api/googleplay-handleWebhookEvents")), ("azp", .string("1234")),
            ("email", .string("push@tn-test.iam.gserviceaccount.com")), ("email_verified", .bool(true)),
            ("exp", .int(now + 3500)), ("iat", .int(now - 100)), ("iss", .string("https://accounts.google.com")),
            ("sub", .string("1234")),
        ]
        for (name, value) in changes {
            claims.removeAll { $0.0 == name }
            if let value { claims.append((name, value)) }
        }
        let header = JSONValue.object([
            ("alg", .string(alg)), ("kid", .string(kid ?? keys.published[index].kid)), ("typ", .string("JWT")),
        ])
        return try JSONWebToken.sign(
            header: header, payload: .object(claims), key: rogue ? keys.rogue : keys.published[index].key,
            algorithm: .rsaPKCS1SHA256)
    }

    /// "ok", or the status of the refusal.
    static func outcome(_ header: String?) throws -> String {
        let verifier = try verifier()
        do {
            try verifier.verify(authorizationHeader: header)
            return "ok"
        } catch {
            return String(error.code.status)
        }
    }

    @Test func aGenuinePushTokenPasses() throws {
        #expect(try Self.outcome("Bearer " + Self.token()) == "ok")
        #expect(try Self.outcome("bearer  " + Self.token()) == "ok")
    }

    @Test func theSecondKeyOfTheMapIsHonoured() throws {
        #expect(try Self.outcome("Bearer " + Self.token(index: 1)) == "ok")
    }

    @Test func bothIssuerSpellingsPass() throws {
        #expect(try Self.outcome("Bearer " + Self.token([("iss", .string("accounts.google.com"))])) == "ok")
    }

    @Test(
        arguments: [
            ("wrong audience", [("aud", JSONValue.string("https://pay.test/api/stripe-handleWebhookEvents"))]),
            ("no audience", [("aud", nil)]),
            ("wrong email", [("email", .string("someone@tn-test.iam.gserviceaccount.com"))]),
            ("no email", [("email", nil)]),
            ("unverified email", [("email_verified", .bool(false))]),
            ("email_verified as a string", [("email_verified", .string("true"))]),
            ("wrong issuer", [("iss", .string("https://securetoken.google.com/tn-test"))]),
            ("http issuer", [("iss", .string("http://accounts.google.com"))]),
            ("expired", [("exp", .int(now - 61)), ("iat", .int(now - 3661))]),
            ("issued in the future", [("iat", .int(now + 120))]),
            ("lives too long", [("exp", .int(now + 7200))]),
            ("no exp", [("exp", nil)]),
            ("exp past Int64", [("exp", .number("99999999999999999999"))]),
            ("exp at Int64.max", [("exp", .int(Int64.max))]),
        ] as [(String, [(String, JSONValue?)])])
    func aForeignOrStaleTokenIs401(_ name: String, _ changes: [(String, JSONValue?)]) throws {
        #expect(try Self.outcome("Bearer " + Self.token(changes)) == "401", "\(name)")
    }

    @Test func aTokenAtTheEdgeOfTheLeewayStillPasses() throws {
        #expect(try Self.outcome("Bearer " + Self.token([("exp", .int(Self.now - 59))])) == "ok")
        #expect(try Self.outcome("Bearer " + Self.token([("iat", .int(Self.now + 60))])) == "ok")
        // Extreme claims only fail comparisons, they never trap.
        #expect(try Self.outcome("Bearer " + Self.token([("iat", .int(Int64.min))])) == "ok")
    }

    @Test func forgedSignaturesAre401() throws {
        #expect(try Self.outcome("Bearer " + Self.token(rogue: true)) == "401")
        #expect(try Self.outcome("Bearer " + Self.token(kid: "kid-unknown")) == "401")
        #expect(try Self.outcome("Bearer " + Self.token(alg: "HS256")) == "401")
        let token = try Self.token()
        let unsigned = token[..<(token.lastIndex(of: ".") ?? token.endIndex)] + "."
        #expect(try Self.outcome("Bearer " + unsigned) == "401")
        var tampered = token.split(separator: ".").map(String.init)
        tampered[1] = Base64.urlEncode(Array(#"{"aud":"x"}"#.utf8))
        #expect(try Self.outcome("Bearer " + tampered.joined(separator: ".")) == "401")
    }

    @Test func aMissingOrMalformedHeaderIs401() throws {
        #expect(try Self.outcome(nil) == "401")
        #expect(try Self.outcome("") == "401")
        #expect(try Self.outcome("Basic abc") == "401")
        #expect(try Self.outcome("Bearer not-a-jwt") == "401")
    }

    @Test func certificatesThatCannotBeHadAre503() throws {
        let service = OutboundService(
            name: "google-oidc", transport: FakeTransport { _ in FakeTransport.json(500, "{}") },
            breaker: CircuitBreaker(service: "google-oidc"), timeout: 10)
        let verifier = GooglePlayPushVerifier(configuration: try GooglePlayFixtures.configuration(), service: service) {
            Self.now
        }
        let error = #expect(throws: APIError.self) {
            try verifier.verify(authorizationHeader: "Bearer " + Self.token())
        }
        #expect(error?.code.status == 503)
    }
}

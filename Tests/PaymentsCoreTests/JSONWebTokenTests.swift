import PaymentsCore
import Signing
import Testing

@Suite struct JSONWebTokenTests {
    static let rsa: PrivateKey? = try? PrivateKey.generateRSA()
    static let p256: PrivateKey? = try? PrivateKey.generateP256()

    private let payload: JSONValue = .object([("sub", .string("user-1")), ("exp", .int(Int64(1_900_000_000)))])

    @Test func rs256SignAndParseRoundTrip() throws {
        let key = try #require(Self.rsa)
        let header: JSONValue = .object([("alg", .string("RS256")), ("kid", .string("k1")), ("typ", .string("JWT"))])
        let compact = try JSONWebToken.sign(header: header, payload: payload, key: key, algorithm: .rsaPKCS1SHA256)
        let token = try JSONWebToken.parse(compact)
        #expect(token.header == header)
        #expect(token.payload == payload)
        let parts = compact.split(separator: ".")
        #expect(token.signingInput == Array((parts[0] + "." + parts[1]).utf8))
        #expect(token.signature.count == 256)
        #expect(
            key.publicKey.verify(signature: token.signature, message: token.signingInput, algorithm: .rsaPKCS1SHA256))
    }

    @Test func es256UsesRawSignature() throws {
        let key = try #require(Self.p256)
        let header: JSONValue = .object([("alg", .string("ES256"))])
        let compact = try JSONWebToken.sign(header: header, payload: payload, key: key, algorithm: .ecdsaSHA256Raw)
        let token = try JSONWebToken.parse(compact)
        #expect(token.signature.count == 64)
        #expect(
            key.publicKey.verify(signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw))
    }

    @Test func headerUsesBase64URLWithoutPadding() throws {
        let key = try #require(Self.p256)
        let compact = try JSONWebToken.sign(
            header: .object([("alg", .string("ES256"))]), payload: payload, key: key, algorithm: .ecdsaSHA256Raw)
        #expect(compact.hasPrefix("eyJhbGciOiJFUzI1NiJ9."))
        #expect(!compact.contains("="))
    }

    @Test(arguments: [
        "", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.e30.", ".e30.c2ln", "eyJhbGciOiJSUzI1NiJ9..c2ln",
        "!!!.e30.c2ln", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln+", "bm90IGpzb24.e30.c2ln", "W10.e30.c2ln", "e30.W10.c2ln",
        "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln",
    ])
    func malformedIsUnauthorized(_ compact: String) {
        do {
            _ = try JSONWebToken.parse(compact)
            Issue.record("accepted \(compact)")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.code.status == 401)
            #expect(!error.message.contains(compact) || compact.isEmpty)
        }
    }

    @Test func minimalWellFormedTokenParses() throws {
        // {"alg":"RS256"} . {} . "sig"
        let token = try JSONWebToken.parse("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        #expect(token.header["alg"]?.stringValue == "RS256")
        #expect(token.payload == .object([]))
        #expect(token.signature == Array("sig".utf8))
    }
}

import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

@Suite("Firebase emulator")
struct FirebaseEmulatorTests {
    @Test("minted tokens are RS256 over base64url parts, verifiable with the published certificate")
    func mintsVerifiableTokens() throws {
        let firebase = try FirebaseEmulator(projectID: "tn-sandbox")
        let certs = try json(firebase.certs())
        let pem = try #require(certs[firebase.keyID]?.stringValue)
        let key = try Certificate(pem: pem).publicKey
        let answer = try json(
            firebase.mint(.object([("uid", .string("u1")), ("claims", .object([("aud", .string("x"))]))])))
        let token = try #require(answer["idToken"]?.stringValue)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 3)
        let signature = try #require(Base64.urlDecode(parts[2]))
        #expect(
            key.verify(signature: signature, message: Array("\(parts[0]).\(parts[1])".utf8), algorithm: .rsaPKCS1SHA256)
        )
        let header = try JSONValue.parse(try #require(Base64.urlDecode(parts[0])))
        #expect(header["alg"]?.stringValue == "RS256")
        #expect(header["kid"]?.stringValue == firebase.keyID)
        let payload = try JSONValue.parse(try #require(Base64.urlDecode(parts[1])))
        #expect(payload["sub"]?.stringValue == "u1")
        #expect(payload["aud"]?.stringValue == "x")
        #expect(payload["iss"]?.stringValue == "https://securetoken.google.com/tn-sandbox")
        #expect(payload.at("firebase.sign_in_provider")?.stringValue == "google.com")
    }

    @Test("a corrupt signature does not verify; a null claim override removes the claim")
    func negativeTokens() throws {
        let firebase = try FirebaseEmulator(projectID: "p")
        let key = try Certificate(pem: try #require(try json(firebase.certs())[firebase.keyID]?.stringValue)).publicKey
        let token = try firebase.mint(
            uid: "u", emailVerified: true, provider: "google.com", email: nil, claims: .object([("sub", .null)]),
            header: nil,
            signature: "corrupt")
        let parts = token.split(separator: ".").map(String.init)
        let signature = try #require(Base64.urlDecode(parts[2]))
        #expect(
            !key.verify(
                signature: signature, message: Array("\(parts[0]).\(parts[1])".utf8), algorithm: .rsaPKCS1SHA256))
        let payload = try JSONValue.parse(try #require(Base64.urlDecode(parts[1])))
        #expect(payload["sub"] == nil)
    }
}

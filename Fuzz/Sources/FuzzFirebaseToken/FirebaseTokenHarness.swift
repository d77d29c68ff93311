import FuzzSupport
import PaymentsCore
import Signing

/// `FirebaseAuthenticator.authenticate(authorizationHeader:)`, its public API, with a fixed clock and a fake
/// certificate endpoint that serves one key (`kid` "fuzz-kid").
///
/// Input: a flags byte, then fields separated by NUL. Flag bit 0: the rest is the whole `Authorization` header.
/// Flag bit 2: the next 24 bytes are `exp`, `iat` and `auth_time` (little-endian Int64) of an otherwise valid, signed
/// token, so the time-claim arithmetic is reached in a few mutations. Otherwise the fields are the protected header JSON, the
/// claims JSON, the signature bytes and the scheme (empty: `Bearer`), which the harness base64url-encodes into a
/// compact token; with flag bit 1 it signs the token with the served key instead, so the claim checks are reached
/// even when the signature is verified first.
enum FirebaseTokenHarness {
    static let now: Int64 = 1_700_000_000
    static let projectID = "tn-fuzz"
    static let kid = "fuzz-kid"

    /// 1024 bits keeps the signing mode fast; the verifier does not care about the size.
    static let key: PrivateKey? = try? PrivateKey.generateRSA(bits: 1024)

    static let authenticator: FirebaseAuthenticator? = {
        guard let key,
            let certificate = try? Certificate.issue(
                commonName: "securetoken", subjectKey: key, issuer: nil, issuerKey: key, isCA: false, days: 36500)
        else { return nil }
        let body = JSONValue.object([(kid, .string(certificate.pem))]).serialized()
        return FirebaseAuthenticator(
            configuration: FirebaseConfiguration(projectID: projectID, certsURL: "http://127.0.0.1:9/firebase/certs"),
            transport: CertsTransport(body: Array(body.utf8)), timeout: 1, now: { now })
    }()

    static func run(_ input: [UInt8]) {
        guard let authenticator, let key else {
            Fuzz.check(false, "the harness could not make its key")
            return
        }
        guard let flags = input.first else { return }
        let header: String
        let fields = Fuzz.fields(Array(input.dropFirst()), separator: 0, limit: 4)
        let field = { (index: Int) -> [UInt8] in index < fields.count ? fields[index] : [] }
        if flags & 1 == 1 {
            header = Fuzz.text(input.dropFirst())
        } else if flags & 4 == 4 {
            guard input.count >= 25 else { return }
            let times = (0..<3).map { index in
                input.withUnsafeBytes { String($0.loadUnaligned(fromByteOffset: 1 + 8 * index, as: Int64.self)) }
            }
            let claims: JSONValue = .object([
                ("iss", .string("https://securetoken.google.com/" + projectID)), ("aud", .string(projectID)),
                ("sub", .string("timed")), ("exp", .number(times[0])), ("iat", .number(times[1])),
                ("auth_time", .number(times[2])),
            ])
            let protected: JSONValue = .object([("alg", .string("RS256")), ("kid", .string(kid))])
            let input =
                Base64.urlEncode(Array(protected.serialized().utf8)) + "."
                + Base64.urlEncode(Array(claims.serialized().utf8))
            guard let signed = try? key.sign(Array(input.utf8), algorithm: .rsaPKCS1SHA256) else { return }
            header = "Bearer " + input + "." + Base64.urlEncode(signed)
        } else {
            let input = Base64.urlEncode(field(0)) + "." + Base64.urlEncode(field(1))
            var signature = field(2)
            if flags & 2 == 2 {
                guard let signed = try? key.sign(Array(input.utf8), algorithm: .rsaPKCS1SHA256) else { return }
                signature = signed
            }
            let scheme = field(3).isEmpty ? "Bearer" : Fuzz.text(field(3))
            header = scheme + " " + input + "." + Base64.urlEncode(signature)
        }
        guard let user = try? authenticator.authenticate(authorizationHeader: header) else { return }
        Fuzz.check(
            (1...FirebaseAuthenticator.maxUIDLength).contains(user.uid.count), "accepted uid of \(user.uid.count)")
    }
}

/// The certificate endpoint: always the same key set, cacheable for an hour.
private struct CertsTransport: HTTPTransport {
    let body: [UInt8]

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: ["content-type": "application/json", "cache-control": "public, max-age=3600"],
            body: body)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FirebaseTokenHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzFirebaseToken_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}

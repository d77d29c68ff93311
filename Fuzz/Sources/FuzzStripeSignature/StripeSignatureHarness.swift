import FuzzSupport
import Gateways
import PaymentsCore
import Signing

/// `StripeSignature.verify` on any `Stripe-Signature` header and body (input: the header, a newline, the body), with
/// two endpoint secrets and a fixed clock; a header signed for that body as Stripe signs must always pass.
enum StripeSignatureHarness {
    static let now: Int64 = 1_700_000_000
    static let secrets = ["whsec_fuzz_first", "whsec_fuzz_second"]
    static let verifier = StripeSignature(secrets: secrets.map { Secret($0) }, tolerance: 300)
    static let untimed = StripeSignature(secrets: secrets.map { Secret($0) }, tolerance: 0)

    static func run(_ input: [UInt8]) {
        let fields = Fuzz.fields(input, separator: UInt8(ascii: "\n"), limit: 2)
        let header = Fuzz.text(fields[0])
        let body = fields.count > 1 ? fields[1] : []
        if let timestamp = try? verifier.verify(header: header, body: body, now: now) {
            Fuzz.check(timestamp >= now - 300 && timestamp <= now + 300, "accepted timestamp \(timestamp)")
        }
        _ = try? untimed.verify(header: header, body: body, now: now)
        let genuine = signedHeader(secret: secrets[1], timestamp: now - 1, body: body)
        let outcome = Result { () throws(StripeSignature.Failure) in
            try verifier.verify(header: genuine, body: body, now: now)
        }
        Fuzz.check((try? outcome.get()) == now - 1, "a genuine header was rejected: \(outcome)")
        let forged = Result { () throws(StripeSignature.Failure) in
            try verifier.verify(header: genuine, body: body + [0], now: now)
        }
        Fuzz.check(forged == .failure(.mismatch), "a header for another body was not a mismatch: \(forged)")
    }

    /// A genuine `Stripe-Signature` header for `body` at `timestamp` (`t=…,v1=<HMAC-SHA256 hex>`, as Stripe signs).
    static func signedHeader(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    StripeSignatureHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzStripeSignature_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}

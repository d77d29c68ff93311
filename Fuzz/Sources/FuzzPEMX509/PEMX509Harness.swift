import FuzzSupport
import Signing

/// PEM and DER loading in `Signing`: certificates (one, a bundle, DER as in a JWS `x5c`) and public keys, with what
/// the gateways read from them. Input: a mode byte (0 one PEM certificate, 1 a bundle, 2 DER, 3 a public key), then
/// the text or bytes. A certificate or key that loads must survive its own DER/PEM round trip.
enum PEMX509Harness {
    /// Apple's App Store receipt-signing marker, one of the extensions looked up.
    static let appleMarker = "1.2.840.113635.100.6.11.1"
    static let now: Int64 = 1_700_000_000

    static func run(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        switch mode % 4 {
        case 0:
            if let certificate = try? Certificate(pem: Fuzz.text(rest)) { inspect([certificate]) }
        case 1:
            if let certificates = try? Certificate.parseAll(pem: Fuzz.text(rest)) { inspect(certificates) }
        case 2:
            if let certificate = try? Certificate(der: rest) { inspect([certificate]) }
        default:
            guard let key = try? PublicKey(pem: Fuzz.text(rest)) else { return }
            let pem = key.pem
            Fuzz.check((try? PublicKey(pem: pem))?.pem == pem, "public key PEM round trip differs")
            verifyGarbage(with: key, rest)
        }
    }

    /// Everything the gateways read from a certificate, its round trips, and a chain check of the bundle.
    static func inspect(_ certificates: [Certificate]) {
        for certificate in certificates {
            _ = certificate.subjectCommonName
            _ = certificate.notBefore
            _ = certificate.notAfter
            _ = certificate.hasExtension(oid: appleMarker)
            let der = certificate.der
            Fuzz.check(!der.isEmpty, "a parsed certificate has no DER")
            Fuzz.check((try? Certificate(der: der))?.der == der, "DER round trip differs")
            Fuzz.check((try? Certificate(pem: certificate.pem))?.der == der, "PEM round trip differs")
            if let key = try? certificate.publicKey { verifyGarbage(with: key, der) }
        }
        guard let leaf = certificates.first, let anchor = certificates.last else { return }
        _ = try? ChainVerifier.verify(
            leaf: leaf, intermediates: Array(certificates.dropFirst().dropLast()), trustAnchors: [anchor], at: now,
            partialChain: true, strict: false)
    }

    /// A signature made of the input's own bytes never verifies, whatever the key and algorithm.
    static func verifyGarbage(with key: PublicKey, _ bytes: [UInt8]) {
        for algorithm in [SignatureAlgorithm.rsaPKCS1SHA256, .ecdsaSHA256DER, .ecdsaSHA256Raw] {
            let signature = Array(bytes.suffix(64))
            Fuzz.check(
                !key.verify(signature: signature, message: Array(bytes.prefix(32)), algorithm: algorithm),
                "garbage verified under \(algorithm)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PEMX509Harness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzPEMX509_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}

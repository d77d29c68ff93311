import FuzzSupport
import Gateways
import PaymentsCore
import Signing

/// `PayPalSignature.verify` and `PayPalCertificateStore.checkURL` on any delivery, with the official PayPal-signed
/// vector's certificate (Tests/GatewaysTests/Fixtures/paypal) served for every allowed URL and trusted as the anchor,
/// at the vector's transmission time.
///
/// Input: newline-separated `PAYPAL-TRANSMISSION-ID`, `-TIME`, `-SIG`, `PAYPAL-CERT-URL`, `PAYPAL-AUTH-ALGO`, then the
/// body (the rest).
enum PayPalSignatureHarness {
    static let now: Int64 = 1_567_075_773
    static let webhookID = "0FV983392A0531201"
    static let hosts: Set<String> = ["api.sandbox.paypal.com", "api.paypal.com", "127.0.0.1", "::1", "localhost"]
    static let certificatePEM = Fixtures.bytes("Tests/GatewaysTests/Fixtures/paypal/clientCertTest.crt")

    /// What PayPal signed for the vector: id, time, webhook id and the CRC-32 of its body.
    static let vectorMessage = Array(
        "afa30d40-ca4a-11e9-ab68-7d4e2605c70c|2019-08-29T10:49:33Z|0FV983392A0531201|3674300368".utf8)

    static let verifier: PayPalSignature? = {
        guard let anchor = try? Certificate(pem: Fuzz.text(certificatePEM)) else { return nil }
        let service = OutboundService(
            name: "paypal-certs", transport: CertificateTransport(body: certificatePEM),
            breaker: CircuitBreaker(service: "paypal-certs"), timeout: 1)
        let store = PayPalCertificateStore(
            allowedHosts: hosts, commonNameSuffix: ".paypal.com", trustRoots: [anchor], service: service)
        return PayPalSignature(webhookID: webhookID, certificates: store)
    }()

    static func run(_ input: [UInt8]) {
        guard let verifier else {
            Fuzz.check(false, "the PayPal fixture certificate did not load")
            return
        }
        let fields = Fuzz.fields(input, separator: UInt8(ascii: "\n"), limit: 6)
        var headers: [String: String] = [:]
        for (name, value) in zip(PayPalSignature.headerNames, fields) { headers[name] = Fuzz.text(value) }
        let body = fields.count == 6 ? fields[5] : []
        if let url = headers["paypal-cert-url"] {
            _ = try? PayPalCertificateStore.checkURL(url, allowedHosts: hosts)
        }
        do {
            try verifier.verify(header: { headers[$0] }, body: body, now: now)
            // Only the vector's own signed message can pass.
            let message = PayPalSignature.message(
                transmissionID: headers["paypal-transmission-id"] ?? "",
                transmissionTime: headers["paypal-transmission-time"] ?? "", webhookID: webhookID, body: body)
            Fuzz.check(message == vectorMessage, "accepted a delivery whose signed message is not the vector's")
        } catch {
            return
        }
    }
}

/// The certificate host: the fixture certificate for every URL.
private struct CertificateTransport: HTTPTransport {
    let body: [UInt8]

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["content-type": "application/x-pem-file"], body: body)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PayPalSignatureHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzPayPalSignature_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}

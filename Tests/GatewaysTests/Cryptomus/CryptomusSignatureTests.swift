import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// The Cryptomus signing rule against the published vectors (research §1.8) and the PHP-style re-encoding.
@Suite struct CryptomusSignatureTests {
    /// itsjoniur/go-cryptomus `sign_test.go` (official SDK test vector).
    @Test func goCryptomusRequestVector() {
        let signature = CryptomusSignature(paymentKey: Secret("bcda"))
        #expect(
            signature.sign(Array(#"{"amount":10,"currency":"usd","order_id":"OrDeRiD"}"#.utf8))
                == "0f66e9e002a45d4285cc77a227dadfeb")
    }

    /// Research §1.8 [self] request vectors: escaped and unescaped slashes sign differently, so the bytes sent must be
    /// the bytes signed; the empty body has its own signature.
    @Test func researchRequestVectors() {
        let signature = CryptomusSignature(paymentKey: Secret("TEST_PAYMENT_KEY"))
        let escaped =
            #"{"amount":"15.00","currency":"USD","order_id":"order-1001","url_callback":"https:\/\/shop.example\/cb"}"#
        #expect(signature.sign(Array(escaped.utf8)) == "faacd7bd29d64a90ec10dce5c3785faf")
        let plain =
            #"{"amount":"15.00","currency":"USD","order_id":"order-1001","url_callback":"https://shop.example/cb"}"#
        #expect(signature.sign(Array(plain.utf8)) == "c6bf32510e357e45334b971f9c372e7c")
        #expect(signature.sign([]) == "5a81159a73987ee8d7e494f5b4535ff8")
    }

    static let webhookSigned =
        #"{"type":"payment","uuid":"62f88b36-a9d5-4fa6-aa26-e040c3dbf26d","order_id":"order-1001","amount":"15.00","payment_amount":"15.00","payment_amount_usd":"15.00","merchant_amount":"14.70","commission":"0.30","is_final":true,"status":"paid","from":null,"wallet_address_uuid":null,"network":"tron","currency":"USD","payer_currency":"USDT","additional_data":"заказ\/42","txid":"abc123"}"#

    /// The delivered body: the signed fields plus `sign`, here written without escaped slashes (as a non-PHP sender
    /// or a proxy might), so only a re-encoding — not the raw bytes — reproduces the signed string.
    static func webhookBody(sign: String = "19d2f6521651d375a0c6646731a4f0bd") -> String {
        String(webhookSigned.dropLast()).replacingOccurrences(of: #"\/"#, with: "/") + #","sign":"\#(sign)"}"#
    }

    @Test func researchWebhookVectorReencodesToTheSignedString() throws {
        let payload = try JSONValue.parse(CryptomusSignatureTests.webhookBody())
        let unsigned = try CryptomusSignature(paymentKey: Secret("TEST_PAYMENT_KEY")).verifyWebhook(payload)
        #expect(PHPJSONEncoding.encode(unsigned) == CryptomusSignatureTests.webhookSigned)
    }

    @Test func signatureHexCaseIsIgnored() throws {
        let payload = try JSONValue.parse(CryptomusSignatureTests.webhookBody(sign: "19D2F6521651D375A0C6646731A4F0BD"))
        #expect(throws: Never.self) {
            try CryptomusSignature(paymentKey: Secret("TEST_PAYMENT_KEY")).verifyWebhook(payload)
        }
    }

    @Test(arguments: [
        ("wrong key", "OTHER_KEY", webhookBody()),
        ("flipped digit", "TEST_PAYMENT_KEY", webhookBody(sign: "19d2f6521651d375a0c6646731a4f0be")),
        ("truncated sign", "TEST_PAYMENT_KEY", webhookBody(sign: "19d2f6521651d375a0c6646731a4f0")),
        ("not hex", "TEST_PAYMENT_KEY", webhookBody(sign: "zzd2f6521651d375a0c6646731a4f0bd")),
        (
            "tampered amount", "TEST_PAYMENT_KEY",
            webhookBody().replacingOccurrences(
                of: #""payment_amount_usd":"15.00""#, with: #""payment_amount_usd":"150.00""#)
        ),
        (
            "tampered status", "TEST_PAYMENT_KEY",
            webhookBody().replacingOccurrences(of: #""status":"paid""#, with: #""status":"paid_over""#)
        ),
        ("tampered unicode", "TEST_PAYMENT_KEY", webhookBody().replacingOccurrences(of: "заказ", with: "закаж")),
        (
            "reordered keys", "TEST_PAYMENT_KEY",
            webhookBody().replacingOccurrences(of: #""type":"payment","uuid""#, with: #""uuid""#)
                .replacingOccurrences(of: #""txid":"abc123""#, with: #""txid":"abc123","type":"payment""#)
        ),
        (
            "number instead of string", "TEST_PAYMENT_KEY",
            webhookBody().replacingOccurrences(of: #""amount":"15.00""#, with: #""amount":15.00"#)
        ),
        ("sign missing", "TEST_PAYMENT_KEY", CryptomusSignatureTests.webhookSigned),
    ])
    func mutatedWebhooksFail(_ label: String, key: String, body: String) throws {
        let payload = try JSONValue.parse(body)
        #expect(throws: CryptomusSignature.Failure.self, "\(label)") {
            try CryptomusSignature(paymentKey: Secret(key)).verifyWebhook(payload)
        }
    }

    @Test func phpEncodingKeepsKeyOrderNumbersAndEscapesLikePHP() throws {
        let parsed = try JSONValue.parse(
            #"{"z":1.50,"a":[1e3,-0,{"y":null,"b":true}],"s":"a/b \"q\" \\ \u0001\b\f\n\r\t\u2028é😀"}"#)
        #expect(
            PHPJSONEncoding.encode(parsed)
                == #"{"z":1.50,"a":[1e3,-0,{"y":null,"b":true}],"s":"a\/b \"q\" \\ \u0001\b\f\n\r\t\u2028é😀"}"#)
        #expect(PHPJSONEncoding.encode(.object([])) == "{}")
        #expect(PHPJSONEncoding.encode(.string("\u{1F}\u{7F}")) == #""\u001f\#u{7F}""#)
    }
}

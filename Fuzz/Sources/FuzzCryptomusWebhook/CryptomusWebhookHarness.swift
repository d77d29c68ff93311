import FuzzSupport
import Gateways
import PaymentsCore

/// A Cryptomus webhook body: parsed, checked by `CryptomusSignature.verifyWebhook` (the PHP-style re-encoder), and
/// read as an invoice with its decimal amounts. The PHP-style text must parse back to the same value, and the body signed the way Cryptomus
/// signs must verify.
enum CryptomusWebhookHarness {
    static let signature = CryptomusSignature(paymentKey: Secret("fuzz-payment-key"))

    static func run(_ input: [UInt8]) {
        guard let payload = try? JSONValue.parse(input) else { return }
        let php = PHPJSONEncoding.encode(payload)
        Fuzz.check(
            (try? JSONValue.parse(php)) == payload, "PHP-style text does not parse back: \(php.debugDescription)")
        _ = try? signature.verifyWebhook(payload)
        _ = CryptomusInvoice(payload)
        guard case let .object(members) = payload else { return }
        let unsigned = JSONValue.object(members.filter { $0.0 != "sign" })
        let signed = payload.setting(
            "sign", .string(signature.sign(Array(PHPJSONEncoding.encode(unsigned).utf8))))
        let outcome = Result { () throws(CryptomusSignature.Failure) in try signature.verifyWebhook(signed) }
        Fuzz.check((try? outcome.get()) == unsigned, "a correctly signed body was rejected: \(outcome)")
        // The decimal amounts the settlement reads from an invoice.
        if let invoice = CryptomusInvoice(unsigned) {
            for text in [invoice.amount, invoice.paymentAmountUSD].compactMap({ $0 }) {
                if let floored = Money.flooringCents(fromDecimal: text) {
                    Fuzz.check(floored.cents >= 0, "negative amount from \(text.debugDescription)")
                }
                _ = Money.exactCents(fromDecimal: text)
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CryptomusWebhookHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzCryptomusWebhook_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}

import PaymentsCore
import Signing

/// Cryptomus's one signing rule, `md5(base64(text) + payment key)` in lowercase hex, applied to outgoing request
/// bodies and to incoming webhooks (research §1.1 and §1.5).
public struct CryptomusSignature: Sendable {
    /// Why a webhook is not authentic.
    public enum Failure: Error, Equatable, Sendable {
        case notAJSONObject, missingSign, malformedSign, mismatch
    }

    let paymentKey: Secret

    public init(paymentKey: Secret) {
        self.paymentKey = paymentKey
    }

    /// The `sign` header for a request body: computed over exactly the bytes that are sent.
    public func sign(_ body: [UInt8]) -> String {
        Hex.encode(digest(body))
    }

    /// Checks a webhook: `sign` removed, the rest re-encoded PHP-style in its original key order, then compared in
    /// constant time (hex case ignored). Returns the payload without `sign`.
    @discardableResult
    public func verifyWebhook(_ payload: JSONValue) throws(Failure) -> JSONValue {
        guard case let .object(members) = payload else { throw .notAJSONObject }
        guard let signValue = payload["sign"] else { throw .missingSign }
        guard let text = signValue.stringValue, let received = Hex.decode(text), received.count == 16 else {
            throw .malformedSign
        }
        let unsigned = JSONValue.object(members.filter { $0.0 != "sign" })
        let expected = digest(Array(PHPJSONEncoding.encode(unsigned).utf8))
        guard constantTimeEquals(expected, received) else { throw .mismatch }
        return unsigned
    }

    /// md5(base64(bytes) + key) as raw bytes.
    private func digest(_ bytes: [UInt8]) -> [UInt8] {
        Digest.md5(Array((Base64.encode(bytes) + paymentKey.value).utf8))
    }
}

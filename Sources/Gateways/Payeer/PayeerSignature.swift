import PaymentsCore
import Signing

/// Payeer's signing rule: the uppercase hex SHA-256 of the documented fields, in their documented order, joined with
/// `:` and followed by the secret key (research §2.1 and §2.2). `m_params` is signed, before the key, only when sent.
public struct PayeerSignature: Sendable {
    /// Why a notification is not authentic.
    public enum Failure: Error, Equatable, Sendable {
        case missingSign, malformedSign, mismatch
    }

    let secretKey: Secret

    public init(secretKey: Secret) {
        self.secretKey = secretKey
    }

    /// `m_sign` of the payment form: `m_shop:m_orderid:m_amount:m_curr:m_desc[:m_params]:key`.
    public func formSign(
        shop: String, orderID: String, amount: String, currency: String, description: String, params: String?
    ) -> String {
        Hex.encode(digest([shop, orderID, amount, currency, description] + (params.map { [$0] } ?? []))).uppercased()
    }

    /// Checks a status notification's `m_sign` over its ten signed fields (plus `m_params` when present), in constant
    /// time with hex case ignored.
    public func verify(_ notification: PayeerNotification) throws(Failure) {
        guard let text = notification.sign, !text.isEmpty else { throw .missingSign }
        guard let received = Hex.decode(text), received.count == 32 else { throw .malformedSign }
        guard constantTimeEquals(digest(notification.signedValues), received) else { throw .mismatch }
    }

    /// SHA-256 of the values and the key, joined with `:`.
    private func digest(_ values: [String]) -> [UInt8] {
        Digest.sha256(Array((values + [secretKey.value]).joined(separator: ":").utf8))
    }
}

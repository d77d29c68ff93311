import PaymentsCore
import Signing

/// Anypay's SHA-256 signing rules (research §3.1 and §3.3): lowercase hex SHA-256 of fields joined with `:`, the
/// secret key last. The legacy MD5 notification signature is refused: it does not cover the status.
public struct AnypaySignature: Sendable {
    /// Why a notification is not authentic.
    public enum Failure: Error, Equatable, Sendable {
        case missingSign, malformedSign
        /// A 32-hex-digit `sign`: the legacy MD5 variant, which a paid status cannot be trusted under.
        case legacyMD5Refused
        /// The posted `merchant_id` is not the configured project.
        case wrongMerchant
        case mismatch
    }

    let merchantID: String
    let secretKey: Secret

    public init(merchantID: String, secretKey: Secret) {
        self.merchantID = merchantID
        self.secretKey = secretKey
    }

    /// `sign` of the payment form: `merchant_id:pay_id:amount:currency:desc:success_url:fail_url:key`, absent values
    /// empty (their colons kept).
    public func formSign(
        payID: String, amount: String, currency: String, description: String, successURL: String, failURL: String
    ) -> String {
        Hex.encode(digest([merchantID, payID, amount, currency, description, successURL, failURL]))
    }

    /// Checks a notification: `sha256(currency:amount:pay_id:merchant_id:status:key)` with the configured merchant
    /// id (never the posted one, which must match it anyway), compared in constant time with hex case ignored.
    public func verify(_ notification: AnypayNotification) throws(Failure) {
        guard let text = notification.sign, !text.isEmpty else { throw .missingSign }
        guard let received = Hex.decode(text) else { throw .malformedSign }
        if received.count == 16 { throw .legacyMD5Refused }
        guard received.count == 32 else { throw .malformedSign }
        guard notification.merchantID == merchantID else { throw .wrongMerchant }
        let expected = digest([
            notification.currency, notification.amountText, notification.payID, merchantID, notification.status,
        ])
        guard constantTimeEquals(expected, received) else { throw .mismatch }
    }

    /// SHA-256 of the values and the key, joined with `:`.
    private func digest(_ values: [String]) -> [UInt8] {
        Digest.sha256(Array((values + [secretKey.value]).joined(separator: ":").utf8))
    }
}

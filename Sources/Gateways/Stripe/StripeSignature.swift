import PaymentsCore
import Signing

/// Verifies a `Stripe-Signature` header over the raw body exactly as Stripe's SDKs do (research §1.3).
///
/// `t=<unix>,v1=<hex>[,v1=…][,v0=…]`: HMAC-SHA256 keyed with the whole endpoint secret over `"<t>.<body>"`;
/// any `v1` matching any configured secret passes (rotation); timestamps older than the tolerance fail and, like
/// the official SDKs, up to 300 s in the future are accepted (clock skew).
public struct StripeSignature: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        case malformedHeader, noV1Signature, timestampOutsideTolerance, mismatch
    }

    public let secrets: [Secret]
    public let tolerance: Int64
    public static let futureSkew: Int64 = 300

    public init(secrets: [Secret], tolerance: Int64) {
        self.secrets = secrets
        self.tolerance = tolerance
    }

    /// Throws when the delivery is not authentic; returns the signed timestamp otherwise.
    @discardableResult
    public func verify(header: String?, body: [UInt8], now: Int64) throws(Failure) -> Int64 {
        guard let header, !header.isEmpty else { throw .malformedHeader }
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .malformedHeader }
            let key = StripeSignature.trimmed(parts[0])
            let value = StripeSignature.trimmed(parts[1])
            if key == "t" {
                guard let t = Int64(value) else { throw .malformedHeader }
                timestamp = t
            } else if key == "v1", let bytes = Hex.decode(value) {
                candidates.append(bytes)
            }
        }
        guard let timestamp else { throw .malformedHeader }
        guard !candidates.isEmpty else { throw .noV1Signature }
        if tolerance > 0 {
            // Bounds come from the clock with saturating arithmetic; the signed `t` is only ever compared.
            guard timestamp >= Saturating.subtract(now, tolerance),
                timestamp <= Saturating.add(now, StripeSignature.futureSkew)
            else {
                throw .timestampOutsideTolerance
            }
        }
        let signedPayload = Array("\(timestamp).".utf8) + body
        for secret in secrets {
            let expected = HMAC.sha256(key: Array(secret.value.utf8), message: signedPayload)
            for candidate in candidates where constantTimeEquals(expected, candidate) {
                return timestamp
            }
        }
        throw .mismatch
    }

    /// The text without surrounding spaces and tabs (the header is ASCII; Foundation trimming is costly here).
    static func trimmed(_ text: Substring) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }
}

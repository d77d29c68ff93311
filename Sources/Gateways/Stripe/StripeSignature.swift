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
    /// Each secret keyed once for HMAC-SHA256 (every delivery is signed under the same secrets); nil where OpenSSL
    /// refused, and that secret goes through the one-shot `HMAC.sha256`.
    private let keys: [HMACKey?]

    public init(secrets: [Secret], tolerance: Int64) {
        self.secrets = secrets
        self.tolerance = tolerance
        keys = secrets.map { HMACKey(sha256Key: Array($0.value.utf8)) }
    }

    /// Throws when the delivery is not authentic; returns the signed timestamp otherwise.
    @discardableResult
    public func verify(header: String?, body: [UInt8], now: Int64) throws(Failure) -> Int64 {
        guard let header, !header.isEmpty else { throw .malformedHeader }
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        // Byte-wise and without an array of items (empty items are skipped): the header is ASCII, and this runs for
        // every delivery.
        var rest = header.utf8[...]
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let item = rest[..<comma]
            rest = comma == rest.endIndex ? rest[comma...] : rest[rest.index(after: comma)...]
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: UInt8(ascii: "=")) else { throw .malformedHeader }
            let key = StripeSignature.trimmed(item[..<equals])
            let value = String(decoding: StripeSignature.trimmed(item[item.index(after: equals)...]), as: UTF8.self)
            if key.elementsEqual("t".utf8) {
                guard let t = Int64(value) else { throw .malformedHeader }
                timestamp = t
            } else if key.elementsEqual("v1".utf8), let bytes = Hex.decode(value) {
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
        var signedPayload = Array("\(timestamp).".utf8)
        signedPayload.append(contentsOf: body)
        for (secret, key) in zip(secrets, keys) {
            let expected =
                key?.authenticationCode(of: signedPayload)
                ?? HMAC.sha256(key: Array(secret.value.utf8), message: signedPayload)
            for candidate in candidates where constantTimeEquals(expected, candidate) {
                return timestamp
            }
        }
        throw .mismatch
    }

    /// The bytes without surrounding spaces and tabs.
    static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }
}

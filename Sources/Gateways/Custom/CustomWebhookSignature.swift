import PaymentsCore
import Signing

/// Verifies (and, for tests, the sandbox and the bench, produces) the signature of an operator-configured gateway's
/// notification per `GW_<ID>_SCHEME` (DESIGN §2): HMAC-SHA256 of the raw body in a header as hex or `sha256=<hex>`, or
/// Standard Webhooks. Every configured secret is tried (rotation); comparisons are constant-time.
public struct CustomWebhookSignature: Sendable, CustomStringConvertible {
    /// Why a delivery is not authentic; each answers 401 and writes nothing.
    public enum Failure: Error, Sendable, Equatable {
        /// A header the scheme needs is absent or empty (its name).
        case missingHeader(String)
        /// A header is present but not in the scheme's shape (its name).
        case malformedHeader(String)
        /// Standard Webhooks: `webhook-timestamp` is further from now than the tolerance.
        case timestampOutsideTolerance
        /// No signature matches any secret.
        case mismatch
    }

    /// Standard Webhooks header names (lower case, as requests carry them).
    public static let webhookIDHeader = "webhook-id"
    public static let webhookTimestampHeader = "webhook-timestamp"
    public static let webhookSignatureHeader = "webhook-signature"
    /// The prefix of a Standard Webhooks secret.
    public static let standardSecretPrefix = "whsec_"

    public let scheme: CustomSignatureScheme
    /// The header of the `hex` and `sha256` schemes, lower-cased.
    public let header: String
    /// Standard Webhooks: how far `webhook-timestamp` may be from now, either way, in seconds.
    public let toleranceSeconds: Int64
    /// The HMAC keys: each secret's UTF-8 bytes, or under `standard` the base64-decoded part after `whsec_`.
    private let keys: [[UInt8]]

    /// Why a secret is refused at start-up.
    public struct SecretError: Error, Sendable, Equatable {
        public let problem: String
    }

    /// - Parameters:
    ///   - scheme: the signing scheme.
    ///   - secrets: one or more secrets (rotation); under `standard` each is `whsec_<base64>` (or the base64 alone).
    ///   - header: the signature header of `hex` and `sha256` (any case).
    ///   - toleranceSeconds: the Standard Webhooks timestamp tolerance.
    /// - Throws: `SecretError` when there is no secret, or a `standard` secret is not base64 after an optional `whsec_`.
    public init(
        scheme: CustomSignatureScheme, secrets: [Secret], header: String = "X-Gateway-Signature",
        toleranceSeconds: Int64 = 300
    ) throws(SecretError) {
        guard !secrets.isEmpty else { throw SecretError(problem: "needs at least one secret") }
        var keys: [[UInt8]] = []
        for secret in secrets {
            guard scheme == .standard else {
                keys.append(Array(secret.value.utf8))
                continue
            }
            // The reference libraries also take the base64 part alone (their "with and without prefix" test).
            let prefix = CustomWebhookSignature.standardSecretPrefix
            let encoded = secret.value.hasPrefix(prefix) ? String(secret.value.dropFirst(prefix.count)) : secret.value
            guard let key = Base64.decode(encoded), !key.isEmpty else {
                throw SecretError(problem: "must be whsec_ followed by base64 under the standard scheme")
            }
            keys.append(key)
        }
        self.scheme = scheme
        self.header = header.lowercased()
        self.toleranceSeconds = toleranceSeconds
        self.keys = keys
    }

    public var description: String { "CustomWebhookSignature(\(scheme.rawValue), \(keys.count) secret(s) <redacted>)" }

    /// Checks one delivery.
    ///
    /// - Parameters:
    ///   - body: the raw request body, exactly as received.
    ///   - now: the current time, unix seconds (Standard Webhooks tolerance).
    ///   - header: looks up a request header by name (any case).
    /// - Returns: the `webhook-id` under `standard` (it is signed), nil for the other schemes.
    /// - Throws: `Failure` when the delivery is not authentic.
    @discardableResult
    public func verify(body: [UInt8], now: Int64, header lookup: (String) -> String?) throws(Failure) -> String? {
        switch scheme {
        case .hex, .sha256:
            guard let value = lookup(header), !value.isEmpty else { throw .missingHeader(header) }
            var hexText = Substring(value)
            if scheme == .sha256 {
                guard hexText.hasPrefix("sha256=") else { throw .malformedHeader(header) }
                hexText = hexText.dropFirst(7)
            }
            guard let received = Hex.decode(String(hexText)), received.count == 32 else {
                throw .malformedHeader(header)
            }
            guard keys.contains(where: { constantTimeEquals(HMAC.sha256(key: $0, message: body), received) }) else {
                throw .mismatch
            }
            return nil
        case .standard:
            return try verifyStandard(body: body, now: now, lookup: lookup)
        }
    }

    private func verifyStandard(body: [UInt8], now: Int64, lookup: (String) -> String?) throws(Failure) -> String {
        let idName = CustomWebhookSignature.webhookIDHeader
        let timestampName = CustomWebhookSignature.webhookTimestampHeader
        let signatureName = CustomWebhookSignature.webhookSignatureHeader
        guard let id = lookup(idName), !id.isEmpty else { throw .missingHeader(idName) }
        guard let timestampText = lookup(timestampName), !timestampText.isEmpty else {
            throw .missingHeader(timestampName)
        }
        guard let signatures = lookup(signatureName), !signatures.isEmpty else { throw .missingHeader(signatureName) }
        guard timestampText.count <= 18, timestampText.allSatisfy(\.isASCIIDigit), let timestamp = Int64(timestampText)
        else { throw .malformedHeader(timestampName) }
        guard timestamp >= Saturating.subtract(now, toleranceSeconds),
            timestamp <= Saturating.add(now, toleranceSeconds)
        else { throw .timestampOutsideTolerance }
        // Space-separated `<version>,<base64>` entries; versions other than v1 (and undecodable entries) are skipped,
        // as the specification's reference libraries do.
        let candidates = signatures.split(separator: " ").compactMap { entry -> [UInt8]? in
            let parts = entry.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "v1" else { return nil }
            return Base64.decode(String(parts[1]))
        }
        let content = Array("\(id).\(timestampText).".utf8) + body
        for key in keys {
            let expected = HMAC.sha256(key: key, message: content)
            if candidates.contains(where: { constantTimeEquals(expected, $0) }) { return id }
        }
        throw .mismatch
    }

    /// The headers a genuine delivery of `body` carries, signed with the first secret (tests, sandbox, bench).
    ///
    /// - Parameters:
    ///   - body: the exact bytes to send.
    ///   - webhookID: `webhook-id` under `standard`.
    ///   - timestamp: `webhook-timestamp` under `standard`, unix seconds.
    /// - Returns: header name and value pairs.
    public func headers(body: [UInt8], webhookID: String, timestamp: Int64) -> [(String, String)] {
        let key = keys.first ?? []
        switch scheme {
        case .hex: return [(header, Hex.encode(HMAC.sha256(key: key, message: body)))]
        case .sha256: return [(header, "sha256=" + Hex.encode(HMAC.sha256(key: key, message: body)))]
        case .standard:
            let content = Array("\(webhookID).\(timestamp).".utf8) + body
            return [
                (CustomWebhookSignature.webhookIDHeader, webhookID),
                (CustomWebhookSignature.webhookTimestampHeader, String(timestamp)),
                (
                    CustomWebhookSignature.webhookSignatureHeader,
                    "v1," + Base64.encode(HMAC.sha256(key: key, message: content))
                ),
            ]
        }
    }
}

import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// The three schemes of operator-configured gateways: genuine deliveries and forgeries, and the Standard Webhooks
/// specification's own test vectors (standard-webhooks/standard-webhooks `libraries/python/tests/test_webhooks.py`).
@Suite struct CustomWebhookSignatureTests {
    static let body = Array(CustomFixtures.paidBody.utf8)
    static let now: Int64 = 1_700_000_000

    static func signature(_ scheme: CustomSignatureScheme, secret: String? = nil) throws -> CustomWebhookSignature {
        let fallback = scheme == .standard ? CustomFixtures.standardSecret : CustomFixtures.secret
        return try CustomWebhookSignature(scheme: scheme, secrets: [Secret(secret ?? fallback)])
    }

    static func verify(
        _ signature: CustomWebhookSignature, _ body: [UInt8], _ headers: [(String, String)], now: Int64 = now
    ) throws(CustomWebhookSignature.Failure) -> String? {
        let table = Dictionary(headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
        return try signature.verify(body: body, now: now) { table[$0.lowercased()] }
    }

    static func signed(_ scheme: CustomSignatureScheme, secret: String? = nil, body: [UInt8] = body) throws
        -> [(String, String)]
    {
        try signature(scheme, secret: secret).headers(body: body, webhookID: "msg_1", timestamp: now)
    }

    @Test(arguments: CustomSignatureScheme.allCases)
    func genuineDeliveryVerifies(scheme: CustomSignatureScheme) throws {
        let headers = try Self.signed(scheme)
        let webhookID = try Self.verify(Self.signature(scheme), Self.body, headers)
        #expect(webhookID == (scheme == .standard ? "msg_1" : nil))
    }

    @Test func hexAndSHA256HeaderShapes() throws {
        let hmac = Hex.encode(HMAC.sha256(key: Array(CustomFixtures.secret.utf8), message: Self.body))
        #expect(try Self.signed(.hex).map(\.1) == [hmac])
        #expect(try Self.signed(.sha256).map(\.1) == ["sha256=" + hmac])
        #expect(try Self.signed(.hex).map(\.0) == ["x-gateway-signature"])
        // Upper-case hex is the same HMAC.
        _ = try Self.verify(Self.signature(.hex), Self.body, [("X-Gateway-Signature", hmac.uppercased())])
        // Each scheme refuses the other's shape.
        #expect(throws: CustomWebhookSignature.Failure.malformedHeader("x-gateway-signature")) {
            try Self.verify(Self.signature(.hex), Self.body, [("X-Gateway-Signature", "sha256=" + hmac)])
        }
        #expect(throws: CustomWebhookSignature.Failure.malformedHeader("x-gateway-signature")) {
            try Self.verify(Self.signature(.sha256), Self.body, [("X-Gateway-Signature", hmac)])
        }
    }

    @Test(arguments: CustomSignatureScheme.allCases)
    func wrongSecretFails(scheme: CustomSignatureScheme) throws {
        let other = scheme == .standard ? "whsec_" + Base64.encode(Array("another key".utf8)) : "another key"
        let headers = try Self.signed(scheme, secret: other)
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(Self.signature(scheme), Self.body, headers)
        }
    }

    /// Tampered amount or status, and the same fields in another order: the raw bytes differ, so the HMAC does.
    @Test(arguments: CustomSignatureScheme.allCases)
    func tamperedOrReorderedBodyFails(scheme: CustomSignatureScheme) throws {
        let headers = try Self.signed(scheme)
        let tampered = [
            CustomFixtures.paidBody.replacingOccurrences(of: #""amount":1000"#, with: #""amount":100000"#),
            CustomFixtures.paidBody.replacingOccurrences(of: #""status":"paid""#, with: #""status":"refunded""#),
            CustomFixtures.paidBody.replacingOccurrences(
                of: #""id":"pay_77","reference""#, with: #""reference""#
            ).replacingOccurrences(of: #""status":"paid"}"#, with: #""status":"paid","id":"pay_77"}"#),
        ]
        for text in tampered {
            #expect(text != CustomFixtures.paidBody)
            #expect(throws: CustomWebhookSignature.Failure.mismatch) {
                try Self.verify(Self.signature(scheme), Array(text.utf8), headers)
            }
        }
    }

    @Test func missingSignatureHeadersFail() throws {
        #expect(throws: CustomWebhookSignature.Failure.missingHeader("x-gateway-signature")) {
            try Self.verify(Self.signature(.sha256), Self.body, [])
        }
        #expect(throws: CustomWebhookSignature.Failure.missingHeader("x-gateway-signature")) {
            try Self.verify(Self.signature(.hex), Self.body, [("X-Gateway-Signature", "")])
        }
        let genuine = try Self.signed(.standard)
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            #expect(throws: CustomWebhookSignature.Failure.missingHeader(name)) {
                try Self.verify(Self.signature(.standard), Self.body, genuine.filter { $0.0 != name })
            }
        }
    }

    @Test func customHeaderNameIsUsed() throws {
        let signature = try CustomWebhookSignature(
            scheme: .sha256, secrets: [Secret(CustomFixtures.secret)], header: "X-Acme-Signature")
        let headers = signature.headers(body: Self.body, webhookID: "", timestamp: 0)
        #expect(headers.map(\.0) == ["x-acme-signature"])
        _ = try Self.verify(signature, Self.body, headers)
        #expect(throws: CustomWebhookSignature.Failure.missingHeader("x-acme-signature")) {
            try Self.verify(signature, Self.body, [("X-Gateway-Signature", headers[0].1)])
        }
    }

    @Test func anyConfiguredSecretVerifies() throws {
        let rotated = try CustomWebhookSignature(scheme: .sha256, secrets: [Secret("old"), Secret("new")])
        for secret in ["old", "new"] {
            _ = try Self.verify(rotated, Self.body, Self.signed(.sha256, secret: secret))
        }
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(rotated, Self.body, Self.signed(.sha256, secret: "other"))
        }
    }

    // MARK: Standard Webhooks official test vectors

    static let vectorID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorBody = Array(#"{"test": 2432232314}"#.utf8)
    static let vectorTimestamp: Int64 = 1_614_265_330
    static let vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static func vectorHeaders(signature: String = vectorSignature, timestamp: String = "1614265330") -> [(
        String, String
    )] {
        [("webhook-id", vectorID), ("webhook-timestamp", timestamp), ("webhook-signature", signature)]
    }

    /// `test_sign_function`.
    @Test func signFunctionVector() throws {
        let headers = try Self.signature(.standard).headers(
            body: Self.vectorBody, webhookID: Self.vectorID, timestamp: Self.vectorTimestamp)
        #expect(headers.first { $0.0 == "webhook-signature" }?.1 == Self.vectorSignature)
    }

    /// `test_valid_signature_is_valid_and_returns_json`, and `test_signature_verification_with_and_without_prefix`.
    @Test(arguments: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    func vectorVerifiesWithAndWithoutPrefix(secret: String) throws {
        let id = try Self.verify(
            Self.signature(.standard, secret: secret), Self.vectorBody, Self.vectorHeaders(), now: Self.vectorTimestamp)
        #expect(id == Self.vectorID)
    }

    /// `test_invalid_signature_raises_error` (one changed base64 character).
    @Test func invalidSignatureVector() throws {
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(
                Self.signature(.standard), Self.vectorBody,
                Self.vectorHeaders(signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
                now: Self.vectorTimestamp)
        }
    }

    /// `test_multi_sig_payload_is_valid`: v2 entries and non-matching v1 entries are skipped.
    @Test func multiSignatureVector() throws {
        let entries = [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            Self.vectorSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        ]
        _ = try Self.verify(
            Self.signature(.standard), Self.vectorBody, Self.vectorHeaders(signature: entries.joined(separator: " ")),
            now: Self.vectorTimestamp)
        // The valid signature under another version tag is not a v1 signature.
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(
                Self.signature(.standard), Self.vectorBody,
                Self.vectorHeaders(signature: "v2," + Self.vectorSignature.dropFirst(3)), now: Self.vectorTimestamp)
        }
    }

    /// `test_old_timestamp_fails` and `test_new_timestamp_fails`: tolerance 5 minutes either way, inclusive.
    @Test(arguments: [(-301, false), (-300, true), (300, true), (301, false)])
    func timestampToleranceVector(offset: Int64, accepted: Bool) throws {
        let signature = try Self.signature(.standard)
        let timestamp = Self.now + offset
        let headers = signature.headers(body: Self.vectorBody, webhookID: Self.vectorID, timestamp: timestamp)
        if accepted {
            _ = try Self.verify(signature, Self.vectorBody, headers)
        } else {
            #expect(throws: CustomWebhookSignature.Failure.timestampOutsideTolerance) {
                try Self.verify(signature, Self.vectorBody, headers)
            }
        }
    }

    /// `test_invalid_timestamp_raises_error`, and a signed timestamp must be plain digits.
    @Test(arguments: ["hello", "-1614265330", "1614265330.0", " 1614265330", "99999999999999999999"])
    func invalidTimestampVector(timestamp: String) throws {
        #expect(throws: CustomWebhookSignature.Failure.malformedHeader("webhook-timestamp")) {
            try Self.verify(
                Self.signature(.standard), Self.vectorBody, Self.vectorHeaders(timestamp: timestamp),
                now: Self.vectorTimestamp)
        }
    }

    /// The signed content binds the id and the timestamp too.
    @Test func anotherIDOrTimestampFails() throws {
        var headers = Self.vectorHeaders()
        headers[0].1 = "msg_other"
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(Self.signature(.standard), Self.vectorBody, headers, now: Self.vectorTimestamp)
        }
        #expect(throws: CustomWebhookSignature.Failure.mismatch) {
            try Self.verify(
                Self.signature(.standard), Self.vectorBody, Self.vectorHeaders(timestamp: "1614265331"),
                now: Self.vectorTimestamp)
        }
    }

    @Test func descriptionRedactsSecrets() throws {
        let text = "\(try Self.signature(.hex)) \(String(reflecting: try Self.signature(.hex)))"
        #expect(text.contains("<redacted>"))
        #expect(!text.contains("keys"))
    }
}

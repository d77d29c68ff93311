import Gateways
import PaymentsCore
import Signing
import Testing

@Suite struct StripeSignatureTests {
    /// Research vector (locally computed, python hmac and openssl agree).
    let body = Array(#"{"id":"evt_test_webhook","object":"event"}"#.utf8)
    let vector = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"
    let verifier = StripeSignature(secrets: [Secret("whsec_test_secret")], tolerance: 300)

    @Test func acceptsTheResearchVector() throws {
        let t = try verifier.verify(header: "t=1700000000,v1=\(vector)", body: body, now: 1_700_000_010)
        #expect(t == 1_700_000_000)
    }

    @Test func acceptsAGoodV1BesideABadOneAndAV0() throws {
        let header = "t=1700000000,v1=\(String(repeating: "0", count: 64)),v1=\(vector),v0=abc"
        try verifier.verify(header: header, body: body, now: 1_700_000_000)
    }

    @Test func acceptsAnyConfiguredSecret() throws {
        let rotated = StripeSignature(secrets: [Secret("whsec_new"), Secret("whsec_test_secret")], tolerance: 300)
        try rotated.verify(header: "t=1700000000,v1=\(vector)", body: body, now: 1_700_000_000)
    }

    @Test(arguments: [
        ("", StripeSignature.Failure.malformedHeader),
        ("garbage", .malformedHeader),
        ("t=abc,v1=00", .malformedHeader),
        ("v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990", .malformedHeader),
        ("t=1700000000,v0=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990", .noV1Signature),
        ("t=1700000001,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990", .mismatch),
        ("t=1700000000,v1=e95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990", .mismatch),
    ])
    func rejectsMutatedHeaders(header: String, expected: StripeSignature.Failure) {
        #expect(throws: expected) { try verifier.verify(header: header, body: body, now: 1_700_000_000) }
    }

    /// Genuinely signed timestamps at the edges of Int64, checked at clocks at those edges too: outside the tolerance
    /// or accepted, never a trap (issue 6, item 1).
    @Test(arguments: [Int64.max, Int64.min, Int64.max - 299, Int64.min + 299, 0, -1])
    func extremeTimestampsAreCompared(timestamp: Int64) throws {
        let header = StripeSignature.header(secret: "whsec_test_secret", timestamp: timestamp, body: body)
        for now in [Int64.max, Int64.min, 1_700_000_000, timestamp] {
            let (age, overflow) = now.subtractingReportingOverflow(timestamp)
            if !overflow && (-300...300).contains(age) {
                #expect(try verifier.verify(header: header, body: body, now: now) == timestamp)
            } else {
                #expect(throws: StripeSignature.Failure.timestampOutsideTolerance, "t=\(timestamp) now=\(now)") {
                    try verifier.verify(header: header, body: body, now: now)
                }
            }
        }
    }

    @Test(arguments: ["t=9223372036854775808", "t=99999999999999999999", "t=-9223372036854775809", "t=1e300", "t="])
    func timestampsBeyondInt64AreMalformed(_ t: String) {
        #expect(throws: StripeSignature.Failure.malformedHeader) {
            try verifier.verify(header: "\(t),v1=\(vector)", body: body, now: 1_700_000_000)
        }
    }

    @Test func rejectsATamperedBody() {
        var tampered = body
        tampered[2] = UInt8(ascii: "x")
        #expect(throws: StripeSignature.Failure.mismatch) {
            try verifier.verify(header: "t=1700000000,v1=\(vector)", body: tampered, now: 1_700_000_000)
        }
    }

    @Test func rejectsStaleTimestampsButAllowsFutureSkewUpTo300s() throws {
        let header = "t=1700000000,v1=\(vector)"
        #expect(throws: StripeSignature.Failure.timestampOutsideTolerance) {
            try verifier.verify(header: header, body: body, now: 1_700_000_301)
        }
        try verifier.verify(header: header, body: body, now: 1_700_000_300)
        try verifier.verify(header: header, body: body, now: 1_700_000_000 - 300)
        #expect(throws: StripeSignature.Failure.timestampOutsideTolerance) {
            try verifier.verify(header: header, body: body, now: 1_700_000_000 - 301)
        }
    }

    @Test func zeroToleranceDisablesTheTimeCheck() throws {
        let untimed = StripeSignature(secrets: [Secret("whsec_test_secret")], tolerance: 0)
        try untimed.verify(header: "t=1700000000,v1=\(vector)", body: body, now: 1)
    }

    @Test func headerBuilderProducesTheVector() {
        #expect(
            StripeSignature.header(secret: "whsec_test_secret", timestamp: 1_700_000_000, body: body)
                == "t=1700000000,v1=\(vector)")
    }

    /// The verifier (header read item by item, the secret keyed once) decides every header exactly as the reference
    /// does: the header split into items, each secret through the one-shot HMAC. Over a genuine header with two
    /// secrets and every single-byte deletion, duplication and replacement of it.
    @Test func decidesMutatedHeadersAsTheSplitAndOneShotReference() {
        let rotated = StripeSignature(secrets: [Secret("whsec_new"), Secret("whsec_test_secret")], tolerance: 300)
        let header = "t=1700000000, v1=\(String(repeating: "0", count: 64)),v1=\(vector) ,v0=ab"
        let bytes = Array(header.utf8)
        var headers = [header, "", ",", ",,t=1700000000,,v1=\(vector),,", "t=1700000000,v1=\(vector)\t"]
        for index in bytes.indices {
            var deleted = bytes
            deleted.remove(at: index)
            var doubled = bytes
            doubled.insert(bytes[index], at: index)
            headers += [deleted, doubled].map { String(decoding: $0, as: UTF8.self) }
            for byte in Array(",= \t1aF".utf8) {
                var replaced = bytes
                replaced[index] = byte
                headers.append(String(decoding: replaced, as: UTF8.self))
            }
        }
        var accepted = 0
        for candidate in headers {
            let decided = Result { () throws(StripeSignature.Failure) in
                try rotated.verify(header: candidate, body: body, now: 1_700_000_000)
            }
            let expected = Self.referenceVerify(candidate, body: body, secrets: ["whsec_new", "whsec_test_secret"])
            #expect(decided == expected, "\(candidate.debugDescription)")
            if case .success = expected { accepted += 1 }
        }
        #expect(accepted > 10 && accepted < headers.count)
    }

    /// The verifier before: `split(separator: ",")`, then HMAC.sha256 per secret (tolerance 300, `now` = the `t`).
    static func referenceVerify(_ header: String, body: [UInt8], secrets: [String]) -> Result<
        Int64, StripeSignature.Failure
    > {
        guard !header.isEmpty else { return .failure(.malformedHeader) }
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for item in header.utf8.split(separator: UInt8(ascii: ",")) {
            guard let equals = item.firstIndex(of: UInt8(ascii: "=")) else { return .failure(.malformedHeader) }
            let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            let key = Array(item[..<equals]).drop(while: blank).reversed().drop(while: blank).reversed()
            let value = String(
                decoding: Array(item[item.index(after: equals)...]).drop(while: blank).reversed().drop(while: blank)
                    .reversed(), as: UTF8.self)
            if key.elementsEqual("t".utf8) {
                guard let t = Int64(value) else { return .failure(.malformedHeader) }
                timestamp = t
            } else if key.elementsEqual("v1".utf8), let bytes = Hex.decode(value) {
                candidates.append(bytes)
            }
        }
        guard let timestamp else { return .failure(.malformedHeader) }
        guard !candidates.isEmpty else { return .failure(.noV1Signature) }
        guard timestamp >= 1_700_000_000 - 300, timestamp <= 1_700_000_000 + 300 else {
            return .failure(.timestampOutsideTolerance)
        }
        let signed = Array("\(timestamp).".utf8) + body
        for secret in secrets where candidates.contains(HMAC.sha256(key: Array(secret.utf8), message: signed)) {
            return .success(timestamp)
        }
        return .failure(.mismatch)
    }
}

import Gateways
import PaymentsCore
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
}

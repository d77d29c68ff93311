import PaymentsCore
import Testing

/// DESIGN §3: what each failure reaches the client as, and which ones are logged as unexpected.
@Suite struct ErrorMappingTests {
    private struct Surprise: Error {}

    @Test func apiErrorsPassThroughUnchanged() {
        let (error, unexpected) = ErrorMapping.apiError(for: APIError(.conflict, "order already captured"))
        #expect(error.code == .conflict && error.message == "order already captured")
        #expect(!unexpected)
    }

    @Test(arguments: [
        (LedgerError.Kind.unavailable, 503, "ServiceUnavailableException", false),
        (.unknownOutcome, 503, "ServiceUnavailableException", true),
        (.refundTargetMissing, 503, "ServiceUnavailableException", false),
        (.integrity, 500, "InternalServerErrorException", true),
        (.failed, 500, "InternalServerErrorException", true),
    ])
    func ledgerErrors(kind: LedgerError.Kind, status: Int, name: String, logged: Bool) {
        let (error, unexpected) = ErrorMapping.apiError(for: LedgerError(kind, "secret detail 42"))
        #expect(error.code.status == status)
        #expect(error.code.name == name)
        #expect(unexpected == logged)
        #expect(!error.message.contains("secret detail"), "the ledger's own message never reaches the client")
    }

    @Test func retryableLedgerFailuresCarryRetryAfter() {
        for kind in [LedgerError.Kind.unavailable, .unknownOutcome] {
            let (error, _) = ErrorMapping.apiError(for: LedgerError(kind, "x"))
            #expect(error.headers.contains { $0.0 == "Retry-After" && $0.1 == "5" }, "\(kind)")
        }
    }

    @Test func malformedJSONIsABadRequest() throws {
        let parseError = try #require(throws: JSONParseError.self) { try JSONValue.parse(Array("{\"a\":".utf8)) }
        let (error, unexpected) = ErrorMapping.apiError(for: parseError)
        #expect(error.code == .badRequest)
        #expect(!unexpected)
    }

    @Test func anythingElseIsAGeneric500LoggedOnce() {
        let (error, unexpected) = ErrorMapping.apiError(for: Surprise())
        #expect(error.code == .internalError && error.message == "internal error")
        #expect(unexpected)
    }
}

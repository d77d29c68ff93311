import PaymentsCore
import Testing

/// A checking reader (`--check-config`) finds every problem of a part in one reading, while an ordinary reader keeps
/// stopping at the first, so start-up still names exactly one variable (issue 11).
@Suite struct ConfigReaderCheckingTests {
    /// Three problems in the core part: a malformed integer, one out of range, a missing required value.
    static let broken = [
        "PUBLIC_BASE_URL": "https://pay.example.com/api", "AMOUNT_MIN_CENTS": "lots", "MAX_BODY_BYTES": "5",
        "RETAIL_API_URL": "https://retail.example/api",
    ]

    @Test func anOrdinaryReaderStopsAtTheFirstProblem() {
        #expect(
            ConfigurationBoundsTests.refusedVariable { () throws(ConfigurationError) in
                _ = try CoreConfiguration(ConfigReader(Self.broken))
            } == "AMOUNT_MIN_CENTS")
    }

    @Test func aCheckingReaderRecordsEveryProblemOfThePartAndReadsOn() throws {
        let reader = ConfigReader(Self.broken).checking()
        let core = try CoreConfiguration(reader)
        #expect(reader.problemsRecorded.map(\.variable) == ["AMOUNT_MIN_CENTS", "MAX_BODY_BYTES", "RETAIL_API_KEY"])
        // Stand-ins: the defaults for what has one, so reading went on.
        #expect(core.amountRange == 500...100_000)
        #expect(core.maxBodyBytes == 1_048_576)
    }

    @Test func settledVariablesReadAsUnsetAndAreNotReportedAgain() throws {
        var values = Self.broken
        values["RETAIL_API_KEY"] = "k"
        let reader = ConfigReader(values).checking(settled: ["AMOUNT_MIN_CENTS"])
        let core = try CoreConfiguration(reader)
        #expect(reader.problemsRecorded.map(\.variable) == ["MAX_BODY_BYTES"])
        #expect(core.amountRange.lowerBound == 500)
    }

    @Test func aCheckFailingInsideThePartIsRecordedWithAStandIn() throws {
        var values = Self.broken
        values["AMOUNT_MIN_CENTS"] = "900"
        values["AMOUNT_MAX_CENTS"] = "800"
        let reader = ConfigReader(values).checking()
        _ = try CoreConfiguration(reader)
        #expect(reader.problemsRecorded.map(\.variable) == ["AMOUNT_MIN_CENTS", "MAX_BODY_BYTES", "RETAIL_API_KEY"])
        #expect(
            ConfigurationBoundsTests.refusedVariable { () throws(ConfigurationError) in
                _ = try CoreConfiguration(ConfigReader(values))
            } == "AMOUNT_MIN_CENTS")
    }

    @Test func validatedAndListAccessorsRejectLikeTheOthers() throws {
        let values = ["SHOP": "abc", "EMPTY_LIST": " , "]
        let reader = ConfigReader(values).checking()
        let shop = try reader.string("SHOP", where: { $0.allSatisfy(\.isASCIIDigit) }, otherwise: "must be digits")
        let list = try reader.requiredList("EMPTY_LIST")
        #expect(shop == "abc" && list.isEmpty)
        #expect(
            reader.problemsRecorded.map(\.description) == [
                "configuration: SHOP must be digits", "configuration: EMPTY_LIST is required but missing",
            ])
        #expect(throws: ConfigurationError.self) { try ConfigReader(values).requiredList("EMPTY_LIST") }
        #expect(throws: ConfigurationError.self) {
            try ConfigReader(values).string("SHOP", where: { $0.allSatisfy(\.isASCIIDigit) }, otherwise: "digits")
        }
    }
}

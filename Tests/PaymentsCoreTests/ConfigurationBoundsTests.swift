import PaymentsCore
import Testing

/// Numeric settings from the environment are refused at start-up, naming the variable, when they are not numbers
/// within range: never accepted as infinity, NaN or a wrapped value (issue 6, item 1).
@Suite struct ConfigurationBoundsTests {
    static let required = [
        "PUBLIC_BASE_URL": "https://pay.example.com/api", "RETAIL_API_URL": "https://retail.example/api",
        "RETAIL_API_KEY": "k",
    ]

    /// The variable a configuration error names, or nil when `make` succeeds.
    static func refusedVariable(_ make: () throws(ConfigurationError) -> Void) -> String? {
        do {
            try make()
            return nil
        } catch {
            return error.variable
        }
    }

    @Test(arguments: [
        ("HTTP_TIMEOUT_SECONDS", "1e300"), ("HTTP_TIMEOUT_SECONDS", "inf"), ("HTTP_TIMEOUT_SECONDS", "nan"),
        ("HTTP_TIMEOUT_SECONDS", "99999999999999999999"), ("HTTP_TIMEOUT_SECONDS", "0"),
        ("HTTP_TIMEOUT_SECONDS", "301"),
        ("MAX_BODY_BYTES", "9223372036854775807"), ("MAX_BODY_BYTES", "-1"), ("MAX_BODY_BYTES", "1.5"),
        ("AMOUNT_MIN_CENTS", "-9223372036854775808"), ("AMOUNT_MAX_CENTS", "2147483648"),
        ("AMOUNT_MAX_CENTS", "1e9"), ("RATE_LIMIT_UID_PER_MINUTE", "0"),
        ("RATE_LIMIT_UID_PER_MINUTE", "99999999999999999999"),
    ])
    func coreValuesOutOfRangeAreRefusedNamingTheVariable(key: String, value: String) {
        var values = Self.required
        values[key] = value
        #expect(
            Self.refusedVariable { () throws(ConfigurationError) in _ = try CoreConfiguration(ConfigReader(values)) }
                == key, "\(key)=\(value)")
    }

    @Test func coreValuesAtTheirBoundsAreAccepted() throws {
        var values = Self.required
        values["HTTP_TIMEOUT_SECONDS"] = "300"
        values["AMOUNT_MAX_CENTS"] = "2147483647"
        values["MAX_BODY_BYTES"] = "67108864"
        let core = try CoreConfiguration(ConfigReader(values))
        #expect(core.httpTimeoutSeconds == 300 && core.amountRange.upperBound == 2_147_483_647)
    }

    @Test(arguments: ["nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e400", "0x1p3", "2", "-0.1", ""])
    func aScoreMustBeAFiniteNumberWithinZeroToOne(_ value: String) {
        let refused = Self.refusedVariable { () throws(ConfigurationError) in
            _ = try RecaptchaConfiguration(ConfigReader(["RECAPTCHA_MIN_SCORE": value]))
        }
        #expect(refused == (value.isEmpty ? nil : "RECAPTCHA_MIN_SCORE"), "RECAPTCHA_MIN_SCORE=\(value)")
    }

    @Test func theReaderRefusesNonFiniteNumbersAndNamesThem() {
        for text in ["nan", "inf", "1e400"] {
            #expect(
                Self.refusedVariable { () throws(ConfigurationError) in
                    _ = try ConfigReader(["X_SECONDS": text]).double("X_SECONDS", default: 1)
                }
                    == "X_SECONDS")
        }
        #expect(
            Self.refusedVariable { () throws(ConfigurationError) in
                _ = try ConfigReader(["N": "9223372036854775808"]).int("N", default: 1)
            } == "N")
        #expect(
            Self.refusedVariable { () throws(ConfigurationError) in
                _ = try ConfigReader(["N": "12abc"]).int("N", default: 1)
            } == "N")
    }
}

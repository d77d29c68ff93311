import PaymentsCore
import Testing

@Suite struct JSONValueTests {
    @Test func keepsKeyOrderAndNumberText() throws {
        let text = #"{"b":1,"a":12.50,"c":[true,false,null],"d":"x\"\u00e9\ud83d\ude00"}"#
        let value = try JSONValue.parse(text)
        #expect(value["a"]?.numberText == "12.50")
        #expect(value.serialized() == #"{"b":1,"a":12.50,"c":[true,false,null],"d":"x\"é😀"}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\":}", "01", "1.", "tru", "\"\\x\"", "{} x", "\"\u{01}\"", "\"\\ud800\""])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func int64OnlyForPlainIntegers() throws {
        #expect(try JSONValue.parse("1500").int64Value == 1500)
        #expect(try JSONValue.parse("15.0").int64Value == nil)
        #expect(try JSONValue.parse("1e3").int64Value == nil)
    }
}

@Suite struct MoneyTests {
    @Test(arguments: [(0, "0.00"), (5, "0.05"), (1234, "12.34"), (-1234, "-12.34"), (100000, "1000.00")])
    func formatsDecimalStrings(cents: Int64, text: String) {
        #expect(Money(cents: cents).decimalString == text)
    }

    @Test func parsesDecimalsExactlyAndFloors() {
        #expect(Money.flooringCents(fromDecimal: "12.349")?.cents == 1234)
        #expect(Money.flooringCents(fromDecimal: "0.1")?.cents == 10)
        #expect(Money.flooringCents(fromDecimal: "7")?.cents == 700)
        #expect(Money.flooringCents(fromDecimal: "-1") == nil)
        #expect(Money.flooringCents(fromDecimal: "1e2") == nil)
        #expect(Money.exactCents(fromDecimal: "12.345") == nil)
        #expect(Money.exactCents(fromDecimal: "12.340")?.cents == 1234)
    }

    /// Gateway amounts at and past the edge of what cents can hold: the largest accepted one, then nil, never a
    /// trap (issue 6, item 1).
    @Test func extremeDecimalsAreRefusedNotOverflowed() {
        #expect(Money.flooringCents(fromDecimal: "999999999999999.999")?.cents == 99_999_999_999_999_999)
        for text in [
            "1e400", "99999999999999999999", "9223372036854775807", "92233720368547758.08", "1000000000000000",
            "NaN", "Infinity", "0x10", "+5", " 5", "5.", ".5", "",
        ] {
            #expect(Money.flooringCents(fromDecimal: text) == nil, "\(text)")
            #expect(Money.exactCents(fromDecimal: text) == nil, "\(text)")
        }
    }

    @Test(arguments: [
        (Int64.min, "-92233720368547758.08"), (Int64.max, "92233720368547758.07"), (-1, "-0.01"),
    ])
    func formatsAnyCentsWithoutTrapping(cents: Int64, text: String) {
        #expect(Money(cents: cents).decimalString == text)
    }
}

@Suite struct PaymentInputTests {
    @Test(arguments: [#"{"amount":500}"#, #"{"amount":100000}"#])
    func acceptsIntegerCentsInRange(body: String) throws {
        _ = try PaymentInput.amount(try JSONValue.parse(body), range: 500...100_000)
    }

    @Test(arguments: [
        #"{"amount":499}"#, #"{"amount":100001}"#, #"{"amount":"500"}"#, #"{"amount":500.0}"#,
        #"{"amount":5e2}"#, #"{"amount":-500}"#, #"{}"#, #"{"amount":null}"#,
        #"{"amount":9223372036854775807}"#, #"{"amount":99999999999999999999}"#, #"{"amount":1e400}"#,
        #"{"amount":-9223372036854775808}"#,
    ])
    func rejectsEverythingElseNamingTheField(body: String) throws {
        #expect {
            try PaymentInput.amount(try JSONValue.parse(body), range: 500...100_000)
        } throws: { error in
            (error as? APIError)?.code == .badRequest && (error as? APIError)?.message.hasPrefix("amount") == true
        }
    }

    @Test func platformDefaultsToWeb() throws {
        #expect(try PaymentInput.platform(try JSONValue.parse("{}")) == "web")
        #expect(throws: APIError.self) { try PaymentInput.platform(try JSONValue.parse(#"{"platform":"tv"}"#)) }
    }
}

@Suite struct EnvironmentFileTests {
    @Test func parsesSystemdSyntax() throws {
        let values = try EnvironmentFile.parse("# c\nA=1\nB=\"two words\"\nC='x'\n\nexport D=4\n")
        #expect(values == ["A": "1", "B": "two words", "C": "x", "D": "4"])
    }

    /// Fuzz finding F3 (Fuzz/README.md): "\r\n" is one Character, so a file saved with CRLF line endings was one line
    /// and its first value swallowed the rest of the file.
    @Test func crlfAndCRLineEndingsSeparateLines() throws {
        let values = try EnvironmentFile.parse("# c\r\nA=1\r\nB=\"two words\"\r\n\r\nexport D=4\rE=5\r\n")
        #expect(values == ["A": "1", "B": "two words", "D": "4", "E": "5"])
        #expect {
            try EnvironmentFile.parse("A=1\r\nnot an assignment\r\n")
        } throws: { error in
            (error as? ConfigurationError)?.description.contains("line 2") == true
        }
        // A CR followed by a combining mark is one Character, but still ends the line.
        #expect {
            try EnvironmentFile.parse("A=1\r\u{301}B=2")
        } throws: { error in
            (error as? ConfigurationError)?.description.contains("line 2") == true
        }
    }

    @Test func configReaderNamesTheMissingVariable() {
        #expect {
            try ConfigReader([:]).string("STRIPE_SECRET_KEY")
        } throws: { error in
            (error as? ConfigurationError)?.description.contains("STRIPE_SECRET_KEY") == true
        }
        #expect(throws: ConfigurationError.self) { try ConfigReader(["X": "maybe"]).bool("X", default: false) }
        #expect(throws: ConfigurationError.self) {
            try ConfigReader(["STRIPE_API_BASE": "https://x/y"]).baseURL("STRIPE_API_BASE", default: "")
        }
    }
}

@Suite struct RouterTests {
    @Test func buildsNamesFromPrefixAndActionOnly() throws {
        var router = Router()
        try router.add(prefix: "stripe", routes: [Route(.post, "getPaymentIntent", access: .client) { _ in .received }])
        try router.add(prefix: "", routes: [Route(.get, "health", access: .open) { _ in .received }])
        #expect(router.names == ["health", "stripe-getPaymentIntent"])
        #expect(router.resolve(method: "POST", name: "stripe-getPaymentIntent")?.prefix == "stripe")
        #expect(router.resolve(method: "HEAD", name: "health") != nil)
        #expect(router.resolve(method: "GET", name: "stripe-getPaymentIntent") == nil)
        #expect(throws: ConfigurationError.self) {
            try router.add(prefix: "", routes: [Route(.get, "health", access: .open) { _ in .received }])
        }
    }
}

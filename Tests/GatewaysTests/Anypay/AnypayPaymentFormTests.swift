import PaymentsCore
import Testing

@testable import Gateways

@Suite struct AnypayPaymentFormTests {
    static let environment = [
        "ANYPAY_MERCHANT_ID": "1399", "ANYPAY_SECRET_KEY": "TEST_SECRET_KEY", "ANYPAY_API_ID": "1001",
        "ANYPAY_API_KEY": "TEST_API_KEY",
    ]

    static func configuration(_ overrides: [String: String?] = [:]) throws -> AnypayConfiguration {
        var environment = Self.environment
        for (key, value) in overrides { environment[key] = value }
        return try AnypayConfiguration(ConfigReader(environment))
    }

    @Test func readsTheConfiguration() throws {
        let configuration = try Self.configuration(["ANYPAY_ALLOWED_IPS": "185.162.128.38, 185.162.128.39"])
        #expect(configuration.merchantID == "1399")
        #expect(configuration.apiID == "1001")
        #expect(configuration.apiBase == "https://anypay.io")
        #expect(configuration.isAllowedSource("185.162.128.39"))
        #expect(!configuration.isAllowedSource("185.162.128.88"))
        #expect(try Self.configuration().isAllowedSource("10.0.0.1"))
        #expect(
            try Self.configuration(["ANYPAY_API_BASE": "http://127.0.0.1:8108/"]).apiBase == "http://127.0.0.1:8108")
    }

    @Test(
        arguments: [
            ("ANYPAY_MERCHANT_ID", nil), ("ANYPAY_MERCHANT_ID", "project"), ("ANYPAY_SECRET_KEY", nil),
            ("ANYPAY_API_ID", nil), ("ANYPAY_API_ID", "id with space"), ("ANYPAY_API_KEY", ""),
            ("ANYPAY_API_BASE", "ftp://anypay.io"), ("ANYPAY_API_BASE", "https://anypay.io/api"),
        ] as [(String, String?)])
    func configurationErrorsNameTheVariable(key: String, value: String?) {
        let error = #expect(throws: ConfigurationError.self) { try Self.configuration([key: value]) }
        #expect(error?.variable == key)
    }

    @Test func formCarriesItsOwnFieldsAndSign() throws {
        let form = try AnypayPaymentForm(
            configuration: try Self.configuration(), payID: "12345", amount: Money(cents: 1000), description: "Test")
        #expect(form.amount == "10.00")
        #expect(form.currency == "USD")
        #expect(form.successURL == "" && form.failURL == "")
        #expect(
            form.sign
                == AnypaySignature(merchantID: "1399", secretKey: Secret("TEST_SECRET_KEY")).formSign(
                    payID: "12345", amount: "10.00", currency: "USD", description: "Test", successURL: "",
                    failURL: ""))
        #expect(
            form.json
                == .object([
                    ("merchant_id", .string("1399")), ("pay_id", .string("12345")), ("amount", .string("10.00")),
                    ("currency", .string("USD")), ("desc", .string("Test")), ("success_url", .string("")),
                    ("fail_url", .string("")), ("sign", .string(form.sign)),
                ]))
        let withURLs = try AnypayPaymentForm(
            configuration: try Self.configuration(), payID: "12345", amount: Money(cents: 1000), description: "Test",
            successURL: "https://app.example/ok", failURL: "https://app.example/fail")
        #expect(withURLs.sign != form.sign)
        #expect(withURLs.json["success_url"]?.stringValue == "https://app.example/ok")
    }

    /// The research §3.6 form vector through the builder: 100.00 RUB is what the vector signs, so the builder's USD
    /// form must differ from it exactly in the currency.
    @Test func vectorDiffersOnlyByCurrency() throws {
        let form = try AnypayPaymentForm(
            configuration: try Self.configuration(), payID: "12345", amount: Money(cents: 10_000), description: "Test")
        #expect(form.sign == AnypaySignatureTests.sha256("1399:12345:100.00:USD:Test:::TEST_SECRET_KEY"))
    }

    @Test(arguments: ["", "0123456789012345", "12a", "-1"])
    func malformedPayIDIsRefused(payID: String) throws {
        let configuration = try Self.configuration()
        #expect(throws: AnypayPaymentForm.Failure.malformedPayID) {
            try AnypayPaymentForm(
                configuration: configuration, payID: payID, amount: Money(cents: 500), description: "x")
        }
    }

    @Test func longDescriptionIsRefused() throws {
        let configuration = try Self.configuration()
        #expect(throws: AnypayPaymentForm.Failure.descriptionTooLong) {
            try AnypayPaymentForm(
                configuration: configuration, payID: "1", amount: Money(cents: 500),
                description: String(repeating: "d", count: 151))
        }
    }

    @Test func randomPayIDsAreFifteenDigits() {
        let ids = (0..<200).map { _ in AnypayPaymentForm.randomPayID() }
        for id in ids {
            #expect(id.count == 15)
            #expect(id.allSatisfy { $0.isASCIIDigit })
            #expect(id.first != "0")
        }
        #expect(Set(ids).count == ids.count)
    }
}

import PaymentsCore
import Signing

/// The fields the client sends to Anypay's merchant page (`anypay-createPayment`'s answer, DESIGN §2; research §3.1).
public struct AnypayPaymentForm: Sendable, Equatable {
    /// Why a form cannot be built.
    public enum Failure: Error, Equatable, Sendable {
        /// `pay_id` is not 1–15 digits.
        case malformedPayID
        /// `desc` is longer than Anypay's 150 characters.
        case descriptionTooLong
    }

    public var merchantID: String
    public var payID: String
    /// `%.2f`, e.g. `10.00`.
    public var amount: String
    public var currency: String
    public var description: String
    /// Empty when absent (the project's settings apply), and signed as empty.
    public var successURL: String
    public var failURL: String
    public var sign: String

    /// Builds and signs the form for one payment in USD.
    /// - Throws: `Failure`.
    public init(
        configuration: AnypayConfiguration, payID: String, amount: Money, description: String,
        successURL: String? = nil, failURL: String? = nil
    ) throws(Failure) {
        guard (1...15).contains(payID.count), payID.allSatisfy(\.isASCIIDigit) else { throw .malformedPayID }
        guard description.count <= 150 else { throw .descriptionTooLong }
        merchantID = configuration.merchantID
        self.payID = payID
        self.amount = amount.decimalString
        currency = "USD"
        self.description = description
        self.successURL = successURL ?? ""
        self.failURL = failURL ?? ""
        sign = AnypaySignature(merchantID: configuration.merchantID, secretKey: configuration.secretKey).formSign(
            payID: payID, amount: self.amount, currency: currency, description: description,
            successURL: self.successURL, failURL: self.failURL)
    }

    /// A fresh random `pay_id`: 15 digits, the first not zero, from the system's secure generator (the modulo bias
    /// of 64 random bits over 9·10¹⁴ values is below 10⁻⁴, and the session's unique key guards a collision anyway).
    public static func randomPayID() -> String {
        let random = SecureRandom.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return String(100_000_000_000_000 + random % 900_000_000_000_000)
    }

    /// The answer body: `{merchant_id, pay_id, amount, currency, desc, success_url, fail_url, sign}`.
    public var json: JSONValue {
        .object([
            ("merchant_id", .string(merchantID)), ("pay_id", .string(payID)), ("amount", .string(amount)),
            ("currency", .string(currency)), ("desc", .string(description)), ("success_url", .string(successURL)),
            ("fail_url", .string(failURL)), ("sign", .string(sign)),
        ])
    }
}

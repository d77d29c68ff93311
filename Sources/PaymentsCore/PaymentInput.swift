/// Validation of the client fields every payment route shares (DESIGN §2).
public enum PaymentInput {
    /// `amount`: a JSON number written with digits only, within the configured cents range; else 400 naming it.
    public static func amount(_ body: JSONValue, range: ClosedRange<Int64>) throws(APIError) -> Money {
        guard let text = body["amount"]?.numberText, !text.isEmpty, text.allSatisfy(\.isASCIIDigit),
            text.count <= 12, let cents = Int64(text)
        else { throw APIError.badField("amount", "must be an integer number of USD cents") }
        guard range.contains(cents) else {
            throw APIError.badField("amount", "must be between \(range.lowerBound) and \(range.upperBound) cents")
        }
        return Money(cents: cents)
    }

    /// `platform`: `web`, `ios` or `android`; absent means `web`.
    public static func platform(_ body: JSONValue) throws(APIError) -> String {
        guard let value = body["platform"] else { return "web" }
        guard let text = value.stringValue, ["web", "ios", "android"].contains(text) else {
            throw APIError.badField("platform", "must be web, ios or android")
        }
        return text
    }

    /// A required non-empty string field of at most `maxLength` characters.
    public static func string(_ body: JSONValue, _ field: String, maxLength: Int = 255) throws(APIError) -> String {
        guard let text = body[field]?.stringValue, !text.isEmpty, text.count <= maxLength else {
            throw APIError.badField(field)
        }
        return text
    }

    /// An optional string field (nil when absent or null); any other type is 400.
    public static func optionalString(_ body: JSONValue, _ field: String) throws(APIError) -> String? {
        guard let value = body[field], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw APIError.badField(field, "must be a string") }
        return text
    }
}

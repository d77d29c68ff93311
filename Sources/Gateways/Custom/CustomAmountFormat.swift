import PaymentsCore

/// How an operator-configured gateway writes amounts (`GW_<ID>_AMOUNT_FORMAT`, DESIGN §2); read without floating point.
public enum CustomAmountFormat: String, Sendable, CaseIterable {
    /// A JSON integer of cents (`1000`).
    case cents
    /// A JSON number or string of dollars with at most two decimals (`10`, `10.5`, `"10.00"`).
    case decimal

    /// The largest amount either format accepts: far above any payment, far below `Int64` overflow.
    static let maximumCents: Int64 = 999_999_999_999

    /// The non-negative amount `value` holds in this format, or nil when it is of another kind or shape (a fraction or
    /// exponent in cents, a third decimal, a sign, blanks, more than `maximumCents`).
    public func money(from value: JSONValue) -> Money? {
        switch self {
        case .cents:
            guard let text = value.numberText, !text.isEmpty, text.count <= 12, text.allSatisfy(\.isASCIIDigit),
                let cents = Int64(text)
            else { return nil }
            return cents <= CustomAmountFormat.maximumCents ? Money(cents: cents) : nil
        case .decimal:
            guard let text = value.numberText ?? value.stringValue else { return nil }
            let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard let whole = parts.first, (1...10).contains(whole.count), whole.allSatisfy(\.isASCIIDigit) else {
                return nil
            }
            if parts.count == 2 {
                let fraction = parts[1]
                guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            }
            return Money.flooringCents(fromDecimal: text)
        }
    }
}

/// An amount of USD in integer cents; the only money type the ledger knows.
///
/// Parsing and formatting are exact decimal text operations: no amount ever passes through floating point.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let cents: Int64

    public init(cents: Int64) { self.cents = cents }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    /// `12.34`, the decimal string PayPal and Cryptomus expect for USD.
    public var decimalString: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    public var description: String { decimalString + " USD" }

    /// Parses a non-negative decimal string (`"12"`, `"12.3"`, `"12.345"`) into cents, truncating digits past
    /// the second decimal (floor for non-negative values). Returns nil for anything that is not plain decimal text.
    public static func flooringCents(fromDecimal text: String) -> Money? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else { return nil }
        var fractionDigits = parts.count > 1 ? Substring(parts[1]) : ""
        if parts.count > 1 && (fractionDigits.isEmpty || !fractionDigits.allSatisfy(\.isASCIIDigit)) { return nil }
        fractionDigits = fractionDigits.prefix(2)
        let padded = fractionDigits + String(repeating: "0", count: 2 - fractionDigits.count)
        guard whole.count <= 15, let units = Int64(whole), let hundredths = Int64(padded) else { return nil }
        return Money(cents: units * 100 + hundredths)
    }

    /// Parses a decimal string that must be exactly representable in cents (at most two decimals).
    public static func exactCents(fromDecimal text: String) -> Money? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count > 1 {
            let fraction = parts[1]
            guard fraction.count <= 2 || fraction.dropFirst(2).allSatisfy({ $0 == "0" }) else { return nil }
        }
        return flooringCents(fromDecimal: text)
    }
}

extension Character {
    /// True for `0`…`9` only (not other Unicode digits).
    public var isASCIIDigit: Bool { isASCII && isNumber }
}

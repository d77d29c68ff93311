import Foundation

/// The USD cents each store product credits (`APPSTORE_PRODUCTS`, `GOOGLE_PLAY_PRODUCTS`; DESIGN §9).
///
/// Written as `id=cents` pairs separated by commas, `coins_500=499,coins_1200=999`: product ids as the store spells
/// them (case-sensitive), each listed once, with a positive whole number of cents. The credit is a property of the
/// product, never of what a client or a store answer says it cost.
public struct ProductTable: Sendable, Equatable {
    /// Cents by product id.
    public let prices: [String: Money]

    public init(_ prices: [String: Money]) { self.prices = prices }

    /// Parses the `id=cents,…` text of `variable`.
    /// - Throws: `ConfigurationError` naming `variable` when the text is empty, a pair is malformed, an id repeats or
    ///   an amount is not a positive integer of at most 12 digits.
    public init(parsing text: String, variable: String) throws(ConfigurationError) {
        var prices: [String: Money] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConfigurationError(variable: variable, problem: "must be id=cents pairs separated by commas")
            }
            let digits = parts[1]
            guard (1...12).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let cents = Int64(digits),
                cents > 0
            else {
                throw ConfigurationError(variable: variable, problem: "has a non-positive amount for \(parts[0])")
            }
            guard prices[parts[0]] == nil else {
                throw ConfigurationError(variable: variable, problem: "lists \(parts[0]) twice")
            }
            prices[parts[0]] = Money(cents: cents)
        }
        guard !prices.isEmpty else { throw ConfigurationError(variable: variable, problem: "is required but missing") }
        self.prices = prices
    }

    /// The credit for `productID`, or nil for a product this table does not sell.
    public func price(of productID: String) -> Money? { prices[productID] }
}

extension ConfigReader {
    /// The product table in `key` (see `ProductTable`).
    /// - Throws: `ConfigurationError` naming `key` when it is missing or malformed.
    public func products(_ key: String) throws(ConfigurationError) -> ProductTable {
        try ProductTable(parsing: string(key), variable: key)
    }
}

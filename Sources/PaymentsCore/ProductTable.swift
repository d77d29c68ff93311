import Foundation

/// A store's product catalogue as configured (`APPSTORE_PRODUCTS`, `GOOGLE_PLAY_PRODUCTS`): product id → the USD
/// cents one purchase credits (DESIGN §9: `id=cents` pairs separated by commas, `coins_500=499,coins_1200=999`).
public struct ProductTable: Sendable, Equatable {
    /// Cents per product id; ids are compared exactly (case-sensitive), as the stores send them.
    public let cents: [String: Int64]

    public init(_ cents: [String: Int64]) { self.cents = cents }

    /// Parses `id=cents[,id=cents…]`; blanks around items, ids and amounts are ignored.
    /// - Throws: `ConfigurationError` naming `variable` when the list is empty, an item has no `=`, an id is empty or
    ///   repeated, or an amount is not a positive integer of cents.
    public init(parsing text: String, variable: String) throws(ConfigurationError) {
        var table: [String: Int64] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let id = pair.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard pair.count == 2, !id.isEmpty else {
                throw ConfigurationError(variable: variable, problem: "items must be id=cents, got '\(item)'")
            }
            let amount = pair[1].trimmingCharacters(in: .whitespaces)
            guard amount.allSatisfy(\.isASCIIDigit), let value = Int64(amount), value > 0 else {
                throw ConfigurationError(
                    variable: variable,
                    problem: "the amount for '\(id)' must be positive integer cents, got '\(amount)'")
            }
            guard table.updateValue(value, forKey: id) == nil else {
                throw ConfigurationError(variable: variable, problem: "lists '\(id)' more than once")
            }
        }
        guard !table.isEmpty else { throw ConfigurationError(variable: variable, problem: "is required but missing") }
        self.cents = table
    }

    /// The credit for one purchase of `productID`, nil for a product not configured.
    public func amount(for productID: String) -> Money? { cents[productID].map { Money(cents: $0) } }
}

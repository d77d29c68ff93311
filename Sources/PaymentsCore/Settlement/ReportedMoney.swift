/// An amount as a gateway reported it: minor units when readable, the currency as spelled, and the original text
/// for operator items.
public struct ReportedMoney: Sendable, Equatable {
    /// Minor units; nil when the gateway's amount is missing or not an exact decimal.
    public var cents: Int64?
    public var currency: String
    /// The amount as the gateway wrote it.
    public var text: String

    public init(cents: Int64?, currency: String, text: String) {
        self.cents = cents
        self.currency = currency
        self.text = text
    }

    /// An integer amount in minor units (Stripe).
    public init(cents: Int64, currency: String) {
        self.init(cents: cents, currency: currency, text: String(cents))
    }

    /// Whether the currency is US dollars, however the gateway capitalises it.
    public var isUSD: Bool { currency.uppercased() == "USD" }

    /// Positive cents, or nil when the amount cannot be booked.
    var usableCents: Int64? { cents.flatMap { $0 > 0 ? $0 : nil } }
}

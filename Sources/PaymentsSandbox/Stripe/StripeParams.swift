/// Form-encoded Stripe parameters with bracket keys (`metadata[uid]=…`, `automatic_payment_methods[enabled]=true`).
struct StripeParams: Sendable {
    /// Pairs as received, decoded, in order.
    let pairs: [(String, String)]

    init(_ pairs: [(String, String)]) { self.pairs = pairs }

    /// A top-level scalar (last occurrence wins, like Stripe's Rack parser).
    subscript(_ name: String) -> String? {
        pairs.last { $0.0 == name }?.1
    }

    /// `name[key]` members of a hash parameter, in order.
    func hash(_ name: String) -> [(String, String)] {
        let prefix = name + "["
        var result: [(String, String)] = []
        for (key, value) in pairs where key.hasPrefix(prefix) && key.hasSuffix("]") {
            let inner = String(key.dropFirst(prefix.count).dropLast())
            guard !inner.isEmpty, !inner.contains("["), !inner.contains("]") else { continue }
            if let index = result.firstIndex(where: { $0.0 == inner }) {
                result[index].1 = value
            } else {
                result.append((inner, value))
            }
        }
        return result
    }

    /// Top-level parameter names (the part before any `[`).
    var topLevelNames: [String] {
        pairs.map { pair in
            if let bracket = pair.0.firstIndex(of: "[") { return String(pair.0[..<bracket]) }
            return pair.0
        }
    }

    /// Rejects parameters an endpoint does not know, as Stripe does (`parameter_unknown`).
    func checkKnown(_ known: Set<String>) throws(StripeError) {
        for name in topLevelNames where !known.contains(name) {
            throw StripeError(code: "parameter_unknown", message: "Received unknown parameter: \(name)", param: name)
        }
    }

    /// An integer parameter; nil when absent.
    func integer(_ name: String) throws(StripeError) -> Int64? {
        guard let text = self[name] else { return nil }
        guard let value = Int64(text) else {
            throw StripeError(code: "parameter_invalid_integer", message: "Invalid integer: \(text)", param: name)
        }
        return value
    }

    /// A canonical form used to compare idempotent requests: sorted pairs.
    var fingerprint: String {
        pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}

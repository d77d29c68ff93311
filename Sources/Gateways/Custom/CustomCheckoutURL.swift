import PaymentsCore

/// The hosted-checkout link of an operator-configured gateway (`GW_<ID>_CHECKOUT_URL`, DESIGN §2): a URL template whose
/// `{session_id}`, `{amount}` (cents), `{amount_decimal}` (`10.00`), `{success_url}` and `{cancel_url}` are replaced
/// by the URL-encoded values of one session.
public struct CustomCheckoutURL: Sendable, Equatable {
    /// Why a template is refused at start-up.
    public struct ParseError: Error, Sendable, Equatable {
        public let problem: String
    }

    /// The names a template may use between braces.
    public static let placeholders: Set<String> = [
        "session_id", "amount", "amount_decimal", "success_url", "cancel_url",
    ]

    enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    let parts: [Part]

    /// Parses an absolute http(s) template.
    ///
    /// - Throws: `ParseError` for another scheme, an unknown or unclosed placeholder, a stray `}` or a blank or control
    ///   character in the literal text.
    public init(template: String) throws(ParseError) {
        let lowered = template.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else {
            throw ParseError(problem: "must be an http(s) URL template")
        }
        guard template.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw ParseError(problem: "must not contain blanks or control characters")
        }
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{" else { throw ParseError(problem: "has a '}' without its '{'") }
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                throw ParseError(problem: "has a '{' without its '}'")
            }
            let name = String(rest[afterOpen..<close])
            guard CustomCheckoutURL.placeholders.contains(name) else {
                throw ParseError(
                    problem: "has the unknown placeholder {\(name)} (known: "
                        + CustomCheckoutURL.placeholders.sorted().map { "{\($0)}" }.joined(separator: ", ") + ")")
            }
            parts.append(.placeholder(name))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// The link for one session; an absent return URL substitutes as empty text.
    ///
    /// - Parameters:
    ///   - sessionID: the session's `public_id`.
    ///   - amount: the session's amount.
    ///   - successURL: the client's `success_url`, if any.
    ///   - cancelURL: the client's `cancel_url`, if any.
    /// - Returns: the template with every placeholder replaced by its percent-encoded value (RFC 3986 unreserved
    ///   characters kept).
    public func url(sessionID: String, amount: Money, successURL: String?, cancelURL: String?) -> String {
        parts.map { part in
            switch part {
            case let .literal(text): return text
            case let .placeholder(name):
                let value: String
                switch name {
                case "session_id": value = sessionID
                case "amount": value = String(amount.cents)
                case "amount_decimal": value = amount.decimalString
                case "success_url": value = successURL ?? ""
                default: value = cancelURL ?? ""
                }
                return FormEncoding.escape(value)
            }
        }.joined()
    }
}

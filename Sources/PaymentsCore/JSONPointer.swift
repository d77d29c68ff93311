/// An RFC 6901 JSON pointer (`/data/amount`, `/items/0/id`, `/a~1b` for the key `a/b`), resolved against `JSONValue`.
///
/// Operator-configured gateways name the fields of their notifications with pointers (DESIGN §2), so a pointer is
/// parsed once at start-up and a malformed one stops the process naming its variable.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// Why a text is not a JSON pointer.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let problem: String
        public var description: String { problem }
    }

    /// The reference tokens with `~1` and `~0` already unescaped; empty for the whole document.
    public let tokens: [String]

    /// Parses pointer text: empty (the whole document) or `/`-separated tokens where `~` appears only as `~0` or `~1`.
    ///
    /// - Throws: `ParseError` when the text does not start with `/` or holds another `~` sequence.
    public init(_ text: String) throws(ParseError) {
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw ParseError(problem: "must be empty or start with '/', got '\(text)'")
        }
        var parsed: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var scalars = raw.unicodeScalars.makeIterator()
            while let scalar = scalars.next() {
                guard scalar == "~" else {
                    token.unicodeScalars.append(scalar)
                    continue
                }
                switch scalars.next() {
                case "0": token += "~"
                case "1": token += "/"
                default: throw ParseError(problem: "has '~' not followed by 0 or 1 in '\(text)'")
                }
            }
            parsed.append(token)
        }
        tokens = parsed
    }

    /// A pointer from unescaped tokens (`["a/b", "0"]` is `/a~1b/0`).
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// The pointer text, `~` and `/` escaped again.
    public var description: String {
        tokens.map { "/" + $0.replacingEscapables() }.joined()
    }

    /// The value the pointer designates in `document`, or nil when a step is missing: an absent member, an index that
    /// is not a canonical array index (`0`, `12`; never `01` or `-`) or is out of range, or a step into a scalar.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object:
                guard let next = current[token] else { return nil }
                current = next
            case let .array(items):
                guard let index = JSONPointer.arrayIndex(token), index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Returns `document` with `value` placed at the pointer, creating missing objects on the way (for building
    /// notifications in the sandbox). An array step takes a canonical index within range (replaced) or `-` (appended);
    /// nil when a step cannot be taken (a scalar on the way, a bad index) or the pointer is the whole document.
    public func setting(_ value: JSONValue, in document: JSONValue) -> JSONValue? {
        guard let first = tokens.first else { return nil }
        let rest = JSONPointer(tokens: Array(tokens.dropFirst()))
        switch document {
        case .object:
            let child = document[first] ?? .object([])
            let updated = rest.tokens.isEmpty ? value : rest.setting(value, in: child)
            return updated.map { document.setting(first, $0) }
        case var .array(items):
            if first == "-" {
                guard let updated = rest.tokens.isEmpty ? value : rest.setting(value, in: .object([])) else {
                    return nil
                }
                items.append(updated)
                return .array(items)
            }
            guard let index = JSONPointer.arrayIndex(first), index < items.count,
                let updated = rest.tokens.isEmpty ? value : rest.setting(value, in: items[index])
            else { return nil }
            items[index] = updated
            return .array(items)
        default:
            return nil
        }
    }

    /// `0` or a digit string without a leading zero (RFC 6901 §4), as an index.
    private static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.count <= 9, token.allSatisfy(\.isASCIIDigit), token == "0" || !token.hasPrefix("0")
        else { return nil }
        return Int(token)
    }
}

extension String {
    /// `~` as `~0`, then `/` as `~1` (RFC 6901 §3: the reverse order of unescaping).
    fileprivate func replacingEscapables() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

import PaymentsCore

extension JSONValue {
    /// A string, or `null` when absent (Stripe objects use explicit nulls).
    static func optional(_ value: String?) -> JSONValue {
        guard let value else { return .null }
        return .string(value)
    }

    /// The members of an object, nil for other kinds.
    var members: [(String, JSONValue)]? {
        if case let .object(members) = self { return members }
        return nil
    }

    /// Merges `overrides` (an object) into this object: keys replace in place or append; a `null` override removes the key.
    func merging(_ overrides: JSONValue?) -> JSONValue {
        guard let overrides = overrides?.members, var result = members else { return self }
        for (key, value) in overrides {
            if value.isNull {
                result.removeAll { $0.0 == key }
            } else if let index = result.firstIndex(where: { $0.0 == key }) {
                result[index].1 = value
            } else {
                result.append((key, value))
            }
        }
        return .object(result)
    }

    /// An integer read from a number or a decimal string.
    var lenientInt: Int64? {
        if let value = int64Value { return value }
        if let text = stringValue { return Int64(text) }
        return nil
    }

    /// Parses a control request body: empty means `{}`; anything but an object is nil.
    static func controlBody(_ request: SandboxRequest) -> JSONValue? {
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([]) }
        guard let value = try? JSONValue.parse(request.body), value.members != nil else { return nil }
        return value
    }
}

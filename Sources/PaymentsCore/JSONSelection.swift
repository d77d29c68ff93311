/// The part of a JSON document a reader needs, for `JSONValue.parse(_:keeping:)`.
///
/// `.whole` keeps a value as it is; `.members` keeps only the named members of an object (each with its own
/// selection) and applies to every item of an array; values that are neither objects nor arrays are kept whole.
public indirect enum JSONSelection: Sendable {
    case whole
    /// A handful of keys: looked up linearly, which is cheaper than hashing every key of the parsed object.
    case members(JSONMemberSelections)

    /// The selection of member `key`, or nil when the member is left out.
    func member(_ key: String) -> JSONSelection? {
        switch self {
        case .whole: return .whole
        case let .members(members): return members.index(of: key).map { members.selections[$0] }
        }
    }

    /// The member named by the ASCII bytes `key` under `.members`, with its name, or nil when it is left out.
    func member(ascii key: ArraySlice<UInt8>) -> (String, JSONSelection)? {
        guard case let .members(members) = self, let index = members.index(ascii: key) else { return nil }
        return (members.names[index], members.selections[index])
    }

    /// `value` with every member outside this selection removed: what `parse(_:keeping:)` returns for the text of
    /// `value`.
    public func pruning(_ value: JSONValue) -> JSONValue {
        switch (self, value) {
        case (.whole, _):
            return value
        case let (.members, .array(items)):
            return .array(items.map { pruning($0) })
        case let (.members, .object(members)):
            return .object(members.compactMap { key, child in member(key).map { (key, $0.pruning(child)) } })
        default:
            return value
        }
    }
}

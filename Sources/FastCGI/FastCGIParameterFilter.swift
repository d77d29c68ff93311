/// Which FastCGI parameters a reader wants: exact names, and names starting with a prefix (`HTTP_`).
///
/// Built once at start-up; `FastCGIRequest.parameters(keeping:)` asks it about every entry's name bytes before
/// decoding anything, so the parameters nobody reads cost no allocation.
public struct FastCGIParameterFilter: Sendable {
    private let names: [[UInt8]]
    private let prefixes: [[UInt8]]

    /// - Parameters:
    ///   - names: parameter names kept exactly (`REQUEST_METHOD`, …).
    ///   - prefixes: a parameter is also kept when its name starts with one of these and is longer than it.
    public init(names: [String], prefixes: [String]) {
        self.names = names.map { Array($0.utf8) }
        self.prefixes = prefixes.map { Array($0.utf8) }
    }

    /// Whether the parameter called `name` (its bytes) is kept.
    public func keeps(_ name: UnsafeRawBufferPointer) -> Bool {
        for prefix in prefixes where name.count > prefix.count && name.starts(with: prefix) { return true }
        for candidate in names where candidate.count == name.count && name.elementsEqual(candidate) { return true }
        return false
    }

    /// Whether the parameter called `name` is kept (the same answer as for its UTF-8 bytes).
    public func keeps(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { keeps(UnsafeRawBufferPointer($0)) }
    }
}

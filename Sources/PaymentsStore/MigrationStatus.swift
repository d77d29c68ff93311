/// One migration file as `payments-sync migrate --status` shows it: applied (with the same checksum), pending, or
/// changed since it was applied (the responder refuses to start then).
public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case applied
        case pending
        case changed
    }

    public var version: String
    public var file: String
    /// Lowercase hex SHA-256 of the file as it is now.
    public var checksum: String
    public var state: State
    /// Unix seconds, for applied and changed files.
    public var appliedAt: Int64?
}

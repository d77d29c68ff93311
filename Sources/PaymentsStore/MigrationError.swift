/// Why the schema cannot be brought up to date or is not what this build expects; names the version at fault.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A migration file is missing from the database (the schema is behind).
        case notApplied
        /// An applied migration's file changed since (files are never edited after merge).
        case checksumMismatch
        /// The `sql/` directory or a file in it cannot be read or is misnamed.
        case invalidFile
        /// Another `migrate` held the lock for 30 s.
        case lockTimeout
        /// The database failed while applying or reading.
        case database
    }

    public let kind: Kind
    /// The `NNNN` version concerned, when there is one.
    public let version: String?
    public let message: String

    public init(_ kind: Kind, version: String? = nil, _ message: String) {
        self.kind = kind
        self.version = version
        self.message = message
    }

    public var description: String { "migration\(version.map { " \($0)" } ?? ""): \(message)" }
}

import Foundation

/// Files of the main package's test fixtures, found from this source file's path (the harnesses run from a build of
/// this checkout).
public enum Fixtures {
    /// The repository root: `Fuzz/Sources/FuzzSupport/` up three levels.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The bytes of `path` under the repository root; empty when it cannot be read (the harness then checks it).
    public static func bytes(_ path: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else { return [] }
        return [UInt8](data)
    }
}

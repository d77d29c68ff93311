import Foundation

/// Random identifiers so tests never share a uid or an event id.
enum TestIDs {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    static func random(_ length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// A fresh Firebase uid.
    static func uid(_ tag: String = "u") -> String { "itest-\(tag)-\(random(16))" }
}

import Foundation
import Gateways
import Testing

/// `systemd/payments.env.example` lists every variable the code reads (issue 11): a variable read anywhere in
/// `Sources/` — by a `ConfigReader` call, an allow-list, a file reader, a gateway's enable key, or an operator-configured
/// gateway's `GW_<ID>_*` suffix (listed for the id `acme`) — and missing from the example fails this test.
@Suite struct ConfigurationExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Where the sources name a variable: reader calls with a literal key, enable keys, variables named in errors and
    /// allow-lists, and the `(config, "KEY")` helpers.
    static let patterns = [
        #"\b(?:config|reader|configuration|values)\.[a-zA-Z]+\(\s*"([A-Z][A-Z0-9_]+)""#,
        #"values\["([A-Z][A-Z0-9_]+)"\]"#,
        #"enabledKey: "([A-Z][A-Z0-9_]+)""#,
        #"\((?:config|reader), "([A-Z][A-Z0-9_]+)""#,
        #"variable: "([A-Z][A-Z0-9_]+)""#,
    ]

    static func listed() throws -> Set<String> {
        let text = try String(
            contentsOf: repository.appendingPathComponent("systemd/payments.env.example"), encoding: .utf8)
        let expression = try NSRegularExpression(pattern: #"^#?([A-Z][A-Z0-9_]+)="#, options: [.anchorsMatchLines])
        return Set(matches(expression, in: text))
    }

    static func read() throws -> Set<String> {
        let expressions = try patterns.map { try NSRegularExpression(pattern: $0) }
        var keys: Set<String> = []
        let sources = repository.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for expression in expressions { keys.formUnion(matches(expression, in: text)) }
        }
        return keys
    }

    static func matches(_ expression: NSRegularExpression, in text: String) -> [String] {
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test func everyVariableTheCodeReadsIsInTheExample() throws {
        let listed = try Self.listed()
        let read = try Self.read()
        #expect(read.count > 80, "the scan found only \(read.count) variables: the patterns no longer match the code")
        #expect(read.subtracting(listed).sorted() == [], "read by the code, missing from payments.env.example")
        let custom = CustomGatewayConfiguration.suffixes.map { CustomGatewayConfiguration.variable("acme", $0) }
        #expect(Set(custom).subtracting(listed).sorted() == [], "GW_<ID>_* variables missing for the id acme")
    }

    @Test func theExampleListsNothingTheCodeDoesNotRead() throws {
        let custom = Set(
            CustomGatewayConfiguration.suffixes.map { CustomGatewayConfiguration.variable("acme", $0) })
        // The local scripts read these; the executables do not.
        let scriptsOnly: Set<String> = ["RUN_HTTP_PORT", "RUN_HTTPS_PORT"]
        let unread = try Self.listed().subtracting(try Self.read()).subtracting(custom).subtracting(scriptsOnly)
        #expect(unread.sorted() == [], "listed in payments.env.example, read by nothing")
    }
}

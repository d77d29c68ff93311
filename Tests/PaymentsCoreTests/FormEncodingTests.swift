import PaymentsCore
import Testing

@Suite struct FormEncodingTests {
    @Test func decodesPlusAndEscapes() {
        #expect(FormEncoding.decode("a+b%2Fc%C3%A9") == "a b/cé")
        let pairs = FormEncoding.parse("x=1&y=a%3Db&flag&&=v")
        #expect(pairs.map(\.0) == ["x", "y", "flag", ""])
        #expect(pairs.map(\.1) == ["1", "a=b", "", "v"])
    }

    /// Fuzz finding F2 (Fuzz/README.md): Swift's integer parser takes a sign, so `%+D` decoded to CR and `%-0` to NUL.
    @Test(arguments: ["%+D", "%-0", "%+0A", "%+", "%-", "%zz", "%4", "%"])
    func malformedEscapesStayLiteral(text: String) {
        #expect(FormEncoding.decode(text) == text.replacingPlusWithSpace)
        #expect(APIRequest.parseQuery("k=" + text)["k"] == text.replacingPlusWithSpace)
    }

    @Test func escapeThenDecodeIsTheIdentity() {
        let text = "a b&c=d/é+%~_.-\u{1F600}\r\n"
        #expect(FormEncoding.decode(FormEncoding.escape(text)) == text)
        #expect(FormEncoding.escape(text) == "a%20b%26c%3Dd%2F%C3%A9%2B%25~_.-%F0%9F%98%80%0D%0A")
    }

    /// The escaper answers as the one it replaced (a scalar appended per byte) for every scalar up to U+07FF, some
    /// beyond, and strings of them, unreserved-only ones (returned as they are) included.
    @Test func escapesAsThePreviousEscaper() {
        var texts = ["", "uid_0123456789-abc.~XYZ", "u 1", "%", "a\u{1F600}b", "\u{FFFD}\u{10FFFF}"]
        for code in Array(0...0x7FF) + [0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF] {
            guard let scalar = Unicode.Scalar(code) else { continue }
            texts.append(String(Character(scalar)))
            texts.append("ab" + String(Character(scalar)) + "9")
        }
        var differences = 0
        for text in texts where FormEncoding.escape(text) != Self.previousEscape(text) { differences += 1 }
        #expect(differences == 0)
        #expect(texts.count > 4_000)
    }

    /// The escaper this one replaced, kept as the reference.
    private static func previousEscape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

extension String {
    fileprivate var replacingPlusWithSpace: String {
        String(map { $0 == "+" ? " " : $0 })
    }
}

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
}

extension String {
    fileprivate var replacingPlusWithSpace: String {
        String(map { $0 == "+" ? " " : $0 })
    }
}

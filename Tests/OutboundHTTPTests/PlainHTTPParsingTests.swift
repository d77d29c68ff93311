import Testing

@testable import OutboundHTTP

/// The byte-wise URL and response-head parsers of the socket transport.
@Suite struct PlainHTTPParsingTests {
    @Test func splitsAURLIntoHostPortAndTarget() throws {
        let target = try #require(PlainHTTPTarget("HTTP://127.0.0.1:8104/api/v1/retail/m/customer/u%201?x=1#frag"))
        #expect(target.host == "127.0.0.1" && target.port == 8104 && target.hostHeader == "127.0.0.1:8104")
        #expect(target.pathAndQuery == "/api/v1/retail/m/customer/u%201?x=1" && target.key == "127.0.0.1:8104")
        let bare = try #require(PlainHTTPTarget("http://localhost?q"))
        #expect(bare.host == "localhost" && bare.port == 80 && bare.pathAndQuery == "/?q")
        let v6 = try #require(PlainHTTPTarget("http://[::1]:8101"))
        #expect(v6.host == "::1" && v6.port == 8101 && v6.hostHeader == "[::1]:8101" && v6.pathAndQuery == "/")
    }

    @Test(arguments: [
        "https://127.0.0.1/", "http://", "http:///x", "http://user@127.0.0.1/", "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/", "http://127.0.0.1:x/", "http://[::1/", "http://[::1]x/", "http://127.0.0.1/a b",
        "http://127.0.0.1/a\r\nX: y", "ftp://127.0.0.1/", "http://:80/",
    ])
    func refusesWhatIsNotAPlainHTTPURL(url: String) {
        #expect(PlainHTTPTarget(url) == nil)
    }

    @Test func parsesAResponseHead() throws {
        let text = "HTTP/1.0 404 Not Found\r\nContent-Type:  application/json \r\nX-A: 1\r\nx-a:\t2\r\nBad line\r\n\r\n"
        let head = try #require(PlainHTTPConnection.parseHead(ArraySlice(Array(text.utf8))))
        #expect(head.status == 404 && head.minorVersion == 0)
        #expect(head.headers == ["content-type": "application/json", "x-a": "1, 2"])
        let ok = try #require(PlainHTTPConnection.parseHead(ArraySlice(Array("HTTP/1.1 200\r\n\r\n".utf8))))
        #expect(ok.status == 200 && ok.minorVersion == 1 && ok.headers.isEmpty)
    }

    @Test(arguments: ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 99 X\r\n\r\n", "junk\r\n\r\n", ""])
    func refusesAMalformedHead(text: String) {
        #expect(PlainHTTPConnection.parseHead(ArraySlice(Array(text.utf8))) == nil)
    }
}

import PaymentsCore
import Testing

@testable import OutboundHTTP

/// The byte-wise URL and response-head parsers of the socket transport.
@Suite struct HTTPParsingTests {
    @Test func splitsAURLIntoHostPortAndTarget() throws {
        let target = try #require(HTTPTarget("HTTP://127.0.0.1:8104/api/v1/retail/m/customer/u%201?x=1#frag"))
        #expect(target.host == "127.0.0.1" && target.port == 8104 && target.hostHeader == "127.0.0.1:8104")
        #expect(target.pathAndQuery == "/api/v1/retail/m/customer/u%201?x=1" && target.key == "http://127.0.0.1:8104")
        #expect(!target.isSecure)
        let secure = try #require(HTTPTarget("Https://api-m.paypal.com/v2/checkout/orders/5O1"))
        #expect(secure.isSecure && secure.host == "api-m.paypal.com" && secure.port == 443)
        #expect(secure.hostHeader == "api-m.paypal.com" && secure.key == "https://api-m.paypal.com:443")
        let bare = try #require(HTTPTarget("http://localhost?q"))
        #expect(bare.host == "localhost" && bare.port == 80 && bare.pathAndQuery == "/?q")
        let v6 = try #require(HTTPTarget("http://[::1]:8101"))
        #expect(v6.host == "::1" && v6.port == 8101 && v6.hostHeader == "[::1]:8101" && v6.pathAndQuery == "/")
    }

    @Test(arguments: [
        "https://", "https://user@127.0.0.1/", "httpss://127.0.0.1/", "http://", "http:///x", "http://user@127.0.0.1/",
        "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/", "http://127.0.0.1:x/", "http://[::1/", "http://[::1]x/", "http://127.0.0.1/a b",
        "http://127.0.0.1/a\r\nX: y", "ftp://127.0.0.1/", "http://:80/",
    ])
    func refusesWhatIsNotAnHTTPURL(url: String) {
        #expect(HTTPTarget(url) == nil)
    }

    @Test func parsesAResponseHead() throws {
        let text = "HTTP/1.0 404 Not Found\r\nContent-Type:  application/json \r\nX-A: 1\r\nx-a:\t2\r\nBad line\r\n\r\n"
        let head = try #require(HTTPConnection.parseHead(ArraySlice(Array(text.utf8))))
        #expect(head.status == 404 && head.minorVersion == 0)
        #expect(head.headers == ["content-type": "application/json", "x-a": "1, 2"])
        let ok = try #require(HTTPConnection.parseHead(ArraySlice(Array("HTTP/1.1 200\r\n\r\n".utf8))))
        #expect(ok.status == 200 && ok.minorVersion == 1 && ok.headers.isEmpty)
    }

    @Test(arguments: ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 99 X\r\n\r\n", "junk\r\n\r\n", ""])
    func refusesAMalformedHead(text: String) {
        #expect(HTTPConnection.parseHead(ArraySlice(Array(text.utf8))) == nil)
    }

    /// The one-pass head parser answers exactly as the split-based parse it replaced, on heads and on every
    /// single-byte deletion, duplication and replacement (CR, LF, space, tab, colon, a letter, a digit) of them.
    @Test func parsesHeadsAsTheSplitBasedParse() {
        let heads = [
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n",
            "HTTP/1.0 404 Not Found\r\nContent-Type:  application/json \r\nX-A: 1\r\nx-a:\t2\r\nBad line\r\n\r\n",
            "HTTP/1.1  201  Created here\nTransfer-Encoding: chunked\n\nServer:\r\n:empty\r\n",
            "\r\nHTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 +200 OK\r\n\r\n",
        ]
        let replacements = Array("\r\n \t:a5".utf8)
        var compared = 0
        for head in heads.map({ Array($0.utf8) }) {
            var variants = [head]
            for index in head.indices {
                var deleted = head
                deleted.remove(at: index)
                var doubled = head
                doubled.insert(head[index], at: index)
                variants += [deleted, doubled]
                for byte in replacements {
                    var replaced = head
                    replaced[index] = byte
                    variants.append(replaced)
                }
            }
            for variant in variants {
                let bytes = ArraySlice(variant)
                let parsed = HTTPConnection.parseHead(bytes)
                let reference = Self.splitBasedParseHead(bytes)
                #expect(
                    parsed?.status == reference?.status, "\(String(decoding: variant, as: UTF8.self).debugDescription)")
                #expect(parsed?.minorVersion == reference?.minorVersion)
                #expect(parsed?.headers == reference?.headers)
                // The transport's own look-ups read what the dictionary holds, without building it.
                for name: StaticString in ["connection", "transfer-encoding", "content-length", "x-a", "server"] {
                    #expect(parsed?.fields.value(name) == reference?.headers["\(name)"])
                }
                let framing = parsed?.fields.framing
                #expect(framing?.connection == reference?.headers["connection"])
                #expect(framing?.transferEncoding == reference?.headers["transfer-encoding"])
                #expect(framing?.contentLength == reference?.headers["content-length"])
                #expect(
                    parsed.map { HTTPResponse(status: 200, fields: $0.fields, body: []).headers } == reference?.headers)
                compared += 1
            }
        }
        #expect(compared > 2_000)
    }

    @Test func findsHeaderTokensIgnoringASCIICase() {
        #expect(SocketHTTPTransport.contains("Keep-Alive, Upgrade", "keep-alive"))
        #expect(SocketHTTPTransport.contains("CLOSE", "close") && SocketHTTPTransport.contains("xcclose", "close"))
        #expect(!SocketHTTPTransport.contains("clos", "close") && !SocketHTTPTransport.contains("", "close"))
        #expect(SocketHTTPTransport.contains("gzip, Chunked", "chunked"))
    }

    @Test(
        arguments: [
            ("12", 12), ("12, 12", 12), (",7", 7), ("0", 0), ("", nil), (",", nil), (" 12", nil), ("1a", nil),
            ("-1", nil), ("99999999999999999999999", Int.max),
        ] as [(String, Int?)])
    func readsTheFirstContentLength(text: String, expected: Int?) {
        #expect(SocketHTTPTransport.contentLength(text) == expected)
    }

    /// The head parser this one replaced (split into lines, then into fields), kept as the reference.
    private static func splitBasedParseHead(_ bytes: ArraySlice<UInt8>) -> (
        status: Int, minorVersion: Int, headers: [String: String]
    )? {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: true).map { line in
            line.last == 13 ? line.dropLast() : line
        }
        guard let statusLine = lines.first, statusLine.starts(with: "HTTP/1.".utf8) else { return nil }
        let parts = statusLine.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, let status = Int(String(decoding: parts[1], as: UTF8.self)),
            (100..<1000).contains(status)
        else { return nil }
        let minor = parts[0].reversed().starts(with: "0.1".utf8) ? 0 : 1
        var headers: [String: String] = [:]
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon].map(HTTPTarget.asciiLowercased), as: UTF8.self)
            var value = line[(colon + 1)...].drop(while: isBlank)
            while let last = value.last, isBlank(last) { value = value.dropLast() }
            let trimmed = String(decoding: value, as: UTF8.self)
            headers[name] = headers[name].map { $0 + ", " + trimmed } ?? trimmed
        }
        return (status, minor, headers)
    }
}

import Testing

@testable import PaymentsSandbox

@Suite("HTTP head parsing")
struct HTTPHeadTests {
    @Test("parses the request line and lower-cases header names, trimming values")
    func parsesRequest() throws {
        let bytes = Array("POST /v1/x?a=1 HTTP/1.1\r\nContent-Length:  5 \r\nX-Api-Key: k\r\n\r\n".utf8)
        let end = try #require(HTTPHead.findEnd(in: bytes, from: 0, scanFrom: 0))
        #expect(end == bytes.count)
        let head = try #require(HTTPHead.parse(bytes[0..<end]))
        #expect(head.first == "POST")
        #expect(head.second == "/v1/x?a=1")
        #expect(head.third == "HTTP/1.1")
        #expect(head.header("content-length") == "5")
        #expect(head.header("x-api-key") == "k")
    }

    @Test("rejects header lines without a colon or with a space in the name")
    func rejectsMalformed() {
        #expect(HTTPHead.parse(Array("GET / HTTP/1.1\r\nNoColon\r\n".utf8)[...]) == nil)
        #expect(HTTPHead.parse(Array("GET / HTTP/1.1\r\nBad Name: x\r\n".utf8)[...]) == nil)
        #expect(HTTPHead.parse(Array("GET\r\n".utf8)[...]) == nil)
    }

    @Test("finds a token in a comma-separated Connection value, whatever its case, and only a whole token")
    func connectionTokens() {
        #expect(HTTPHead.list("close", contains: "close"))
        #expect(HTTPHead.list("Keep-Alive, Upgrade", contains: "keep-alive"))
        #expect(HTTPHead.list("upgrade ,\tCLOSE ", contains: "close"))
        #expect(!HTTPHead.list("closed", contains: "close"))
        #expect(!HTTPHead.list("", contains: "close"))
        #expect(!HTTPHead.list("keep-alive", contains: "close"))
    }

    @Test("finds no end in an incomplete head")
    func incomplete() {
        #expect(HTTPHead.findEnd(in: Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8), from: 0, scanFrom: 0) == nil)
    }

    @Test("decodes chunked bodies and waits for incomplete ones")
    func dechunk() {
        #expect(HTTPClient.dechunk(Array("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n".utf8)) == Array("helloabc".utf8))
        #expect(HTTPClient.dechunk(Array("5\r\nhel".utf8)) == nil)
        #expect(HTTPClient.dechunk(Array("7fffffffffffffff\r\nabc".utf8)) == nil)
        #expect(HTTPClient.dechunk(Array("2\r\nab\r\n7ffffffffffffffe\r\nabc".utf8)) == nil)
    }

    @Test("an answer's Content-Length beyond the limit or Int is refused, never overflowed")
    func answerLength() throws {
        #expect(try HTTPClient.answerLength("12") == 12)
        #expect(try HTTPClient.answerLength(nil) == nil)
        #expect(try HTTPClient.answerLength("-1") == nil)
        #expect(try HTTPClient.answerLength("1e3") == nil)
        for huge in ["99999999999999999999", "9223372036854775807", "\(HTTPClient.maxAnswerBytes + 1)"] {
            #expect(throws: SandboxError.self) { try HTTPClient.answerLength(huge) }
        }
    }
}

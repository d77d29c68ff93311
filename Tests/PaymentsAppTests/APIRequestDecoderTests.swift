import PaymentsApp
import PaymentsCore
import Testing

struct APIRequestDecoderTests {
    @Test func buildsTheRequestFromNginxParameters() {
        let parameters: [(name: String, value: String)] = [
            ("REQUEST_METHOD", "post"), ("DOCUMENT_URI", "/api/stripe-getPaymentIntent"),
            ("REQUEST_URI", "/api/stripe-getPaymentIntent?x=1"), ("QUERY_STRING", "page=2&limit=5&page=9"),
            ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "2"), ("REMOTE_ADDR", "203.0.113.9"),
            ("REQUEST_ID", "abc123"), ("HTTP_STRIPE_SIGNATURE", "t=1,v1=x"), ("HTTP_X_FORWARDED_FOR", "10.0.0.1"),
            ("HTTP_HOST", "pay.example.com"), ("HTTP_HOST", "second"),
        ]
        let request = APIRequestDecoder.makeRequest(parameters: parameters, body: Array("{}".utf8))
        #expect(request.method == "POST")
        #expect(request.route == "stripe-getPaymentIntent")
        #expect(request.query == ["page": "2", "limit": "5"])
        #expect(request.headers["stripe-signature"] == "t=1,v1=x")
        #expect(request.headers["x-forwarded-for"] == "10.0.0.1")
        #expect(request.headers["host"] == "pay.example.com")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["content-length"] == "2")
        #expect(request.remoteAddress == "203.0.113.9")
        #expect(request.requestID == "abc123")
        #expect(request.body == Array("{}".utf8))
    }

    @Test(arguments: [
        ("/api/health", "health"),
        ("/api/", ""),
        ("/api", ""),
        ("/api/a/b", "a/b"),
        ("/other", "/other"),
    ])
    func routeFromPath(path: String, route: String) {
        #expect(APIRequestDecoder.route(fromPath: path) == route)
    }

    @Test func fallsBackToTheDecodedRequestURI() {
        let request = APIRequestDecoder.makeRequest(
            parameters: [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/api/app%2DgetBalance?x=%20")], body: [])
        #expect(request.route == "app-getBalance")
        #expect(APIRequestDecoder.percentDecode("a+b%2Fc%zz") == "a+b/c%zz")
    }

    /// Fuzz finding F2 (Fuzz/README.md): a sign after `%` was taken as part of the hex number (`%+D` gave CR).
    @Test(arguments: ["/api/a%+D", "/api/a%-0", "/api/a%+", "/api/a%-1x"])
    func signedEscapesStayLiteral(path: String) {
        #expect(APIRequestDecoder.percentDecode(path) == path)
        let request = APIRequestDecoder.makeRequest(parameters: [("REQUEST_URI", path + "?q=1")], body: [])
        #expect(request.route == String(path.dropFirst(5)))
    }

    @Test func generatesARequestIDWhenNginxSentNone() {
        let first = APIRequestDecoder.makeRequest(parameters: [("REQUEST_ID", "")], body: [])
        let second = APIRequestDecoder.makeRequest(parameters: [], body: [])
        #expect(first.requestID.count == 32)
        #expect(first.requestID != second.requestID)
    }

    /// More digits than Int holds is more than any body limit (413), never 0 (a body silently left unread).
    @Test(arguments: [
        ("12", 12), ("", 0), ("-5", 0), ("abc", 0), ("1e3", 0), ("9223372036854775807", Int.max),
        ("99999999999999999999", Int.max), ("0000000000000000000000012", 12),
    ])
    func contentLength(text: String, expected: Int) {
        #expect(APIRequestDecoder.contentLength([("CONTENT_LENGTH", text)]) == expected)
    }
}

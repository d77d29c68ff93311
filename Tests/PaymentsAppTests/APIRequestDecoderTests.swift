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

    /// The one-pass decoder builds the same request as the look-up-per-field decoder it replaced, and the same again
    /// from only the parameters it declares it reads (`parameterNames`, `HTTP_*`: what the FastCGI layer decodes), over
    /// a full nginx parameter set and each parameter removed, emptied, changed or sent twice.
    @Test func oneParameterPassDecodesAsTheLookUpPerField() {
        let base: [(name: String, value: String)] = [
            ("SCRIPT_FILENAME", "/srv/api/stripe-handleWebhookEvents"), ("QUERY_STRING", "a=1&b=%20x"),
            ("REQUEST_METHOD", "POST"), ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "812"),
            ("SCRIPT_NAME", "/api/stripe-handleWebhookEvents"),
            ("REQUEST_URI", "/api/stripe%2DhandleWebhookEvents?a=1"),
            ("DOCUMENT_URI", "/api/stripe-handleWebhookEvents"), ("DOCUMENT_ROOT", "/srv"),
            ("SERVER_PROTOCOL", "HTTP/1.1"), ("REQUEST_SCHEME", "https"), ("HTTPS", "on"),
            ("GATEWAY_INTERFACE", "CGI/1.1"), ("SERVER_SOFTWARE", "nginx/1.22.1"), ("REMOTE_ADDR", "127.0.0.1"),
            ("REMOTE_PORT", "51234"), ("SERVER_ADDR", "127.0.0.1"), ("SERVER_PORT", "443"),
            ("SERVER_NAME", "pay.example.com"), ("REDIRECT_STATUS", "200"), ("REQUEST_ID", "0f1e2d3c"),
            ("HTTP_PROXY", ""), ("HTTP_HOST", "pay.example.com"), ("HTTP_USER_AGENT", "Stripe/1.0"),
            ("HTTP_CONTENT_TYPE", "application/json; charset=utf-8"), ("HTTP_STRIPE_SIGNATURE", "t=1,v1=ab"),
            ("HTTP_ACCEPT", "*/*"), ("HTTP_", "bare"), ("HTTP_X_A_B", "x"),
        ]
        var cases = [base]
        for index in base.indices {
            var removed = base
            removed.remove(at: index)
            var emptied = base
            emptied[index].value = ""
            var changed = base
            changed[index].value = "changed/" + base[index].value.lowercased()
            var twiceBefore = base
            twiceBefore.insert((base[index].name, "first"), at: index)
            var twiceAfter = base
            twiceAfter.append((base[index].name, "second"))
            cases += [removed, emptied, changed, twiceBefore, twiceAfter]
        }
        cases.append([("REQUEST_METHOD", "gEt"), ("REQUEST_URI", "/api/app%2DgetBalance?x"), ("REQUEST_ID", "r")])
        cases.append([("REQUEST_METHOD", "straße"), ("SCRIPT_NAME", "/api/x"), ("REQUEST_ID", "r")])
        let body = Array("{}".utf8)
        for parameters in cases {
            let decoded = APIRequestDecoder.makeRequest(parameters: parameters, body: body)
            let reference = Self.lookUpPerFieldRequest(parameters: parameters, body: body)
            let declared = parameters.filter { name, _ in
                APIRequestDecoder.parameterNames.contains(name)
                    || (name.utf8.count > 5 && name.utf8.starts(with: APIRequestDecoder.headerParameterPrefix.utf8))
            }
            let fromDeclared = APIRequestDecoder.makeRequest(parameters: declared, body: body)
            let label = parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            for request in [decoded, fromDeclared] {
                #expect(request.method == reference.method, "\(label)")
                #expect(request.route == reference.route, "\(label)")
                #expect(request.query == reference.query, "\(label)")
                #expect(request.headers == reference.headers, "\(label)")
                #expect(request.remoteAddress == reference.remoteAddress, "\(label)")
                #expect(request.body == reference.body)
                if let id = parameters.first(where: { $0.name == "REQUEST_ID" })?.value, !id.isEmpty {
                    #expect(request.requestID == reference.requestID, "\(label)")
                } else {
                    #expect(request.requestID.count == 32, "\(label)")
                }
            }
        }
        #expect(cases.count > 100)
    }

    /// The decoder this one replaced: each field looked up by name among all parameters, kept as the reference.
    private static func lookUpPerFieldRequest(parameters: [(name: String, value: String)], body: [UInt8]) -> APIRequest
    {
        func value(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
        var headers: [String: String] = [:]
        for (name, value) in parameters where name.utf8.count > 5 && name.hasPrefix("HTTP_") {
            let key = APIRequestDecoder.headerName(fromParameter: name)
            if headers[key] == nil { headers[key] = value }
        }
        if let type = value("CONTENT_TYPE"), !type.isEmpty { headers["content-type"] = type }
        if let length = value("CONTENT_LENGTH"), !length.isEmpty { headers["content-length"] = length }
        var path = value("SCRIPT_NAME") ?? ""
        if let document = value("DOCUMENT_URI"), !document.isEmpty {
            path = document
        } else if let uri = value("REQUEST_URI"), !uri.isEmpty {
            let withoutQuery = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            path = APIRequestDecoder.percentDecode(String(withoutQuery))
        }
        return APIRequest(
            method: (value("REQUEST_METHOD") ?? "GET").uppercased(), route: APIRequestDecoder.route(fromPath: path),
            query: APIRequest.parseQuery(value("QUERY_STRING") ?? ""), headers: headers, body: body,
            remoteAddress: value("REMOTE_ADDR") ?? "", requestID: value("REQUEST_ID") ?? "")
    }
}

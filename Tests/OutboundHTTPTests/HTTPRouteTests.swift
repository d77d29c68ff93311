import PaymentsCore
import Testing

@testable import OutboundHTTP

/// The socket transport parses each URL's authority once (`SocketHTTPTransport.resolve`, `HTTPOrigin`) and
/// writes requests into a reused buffer; both must answer exactly as the per-call `HTTPTarget` parse and the
/// request writer they replaced.
@Suite struct HTTPRouteTests {
    static let urls = [
        "http://127.0.0.1:8104/api/v1/retail/m/customer/u%201/transaction", "HTTP://127.0.0.1:8104/x?y=1#frag",
        "http://localhost?q", "http://localhost", "http://[::1]:8101", "http://[::1]:8101/pub/abc", "http://a:1#x",
        "http://127.0.0.1:8104?x=/y", "http://127.0.0.1:8104/#", "hTtP://Example.COM:80/a/b/../c",
        "https://127.0.0.1/", "HTTPS://[::1]:8443/p?q", "https://pay.example.com", "https://", "http://", "http:///x",
        "http://user@127.0.0.1/", "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/", "http://127.0.0.1:x/", "http://[::1/", "http://[::1]x/", "http://127.0.0.1/a b",
        "http://127.0.0.1/a\r\nX: y", "ftp://127.0.0.1/", "http://:80/", "http://127.0.0.1:/", "http://[]:80/",
    ]

    /// Every URL above and every single-byte deletion and replacement of it, each resolved twice (a new origin,
    /// then a kept one): nil exactly when `HTTPTarget` refuses it, else the same host, port, `Host` header,
    /// pool key, scheme and request target.
    @Test func resolvesAsTheWholeURLParse() {
        let transport = SocketHTTPTransport()
        let replacements = Array("/?#:@[] \t\r\nHx0".utf8) + [0xC3]
        var variants: [String] = []
        for url in Self.urls {
            let bytes = Array(url.utf8)
            variants.append(url)
            for index in bytes.indices {
                var deleted = bytes
                deleted.remove(at: index)
                variants.append(String(decoding: deleted, as: UTF8.self))
                for byte in replacements {
                    var replaced = bytes
                    replaced[index] = byte
                    variants.append(String(decoding: replaced, as: UTF8.self))
                }
            }
        }
        var accepted = 0
        var differences = 0
        for url in variants {
            let expected = HTTPTarget(url)
            for _ in 0..<2 {
                let route = transport.resolve(url)
                if !Self.same(route, url: url, as: expected) {
                    differences += 1
                    Issue.record("\(url.debugDescription): \(String(describing: expected))")
                }
            }
            if expected != nil { accepted += 1 }
        }
        #expect(differences == 0)
        // The mutations must exercise both sides, and more origins than are kept.
        #expect(accepted > SocketHTTPTransport.maxOrigins && accepted < variants.count)
    }

    /// Two spellings of one scheme, host and port share one idle pool; the other scheme on the same host and port
    /// has its own; past `maxOrigins` a URL still resolves (uncached).
    @Test func sharesPoolsBySchemeHostAndPort() throws {
        let transport = SocketHTTPTransport()
        let first = try #require(transport.resolve("http://LOCALHOST:80/a"))
        let second = try #require(transport.resolve("HTTP://LOCALHOST/b"))
        #expect(first.origin !== second.origin && first.origin.pool === second.origin.pool)
        #expect(first.origin.pool.key == "http://LOCALHOST:80" && !first.origin.isSecure)
        let secure = try #require(transport.resolve("https://LOCALHOST:80/a"))
        #expect(secure.origin.isSecure && secure.origin.pool !== first.origin.pool)
        #expect(secure.origin.pool.key == "https://LOCALHOST:80")
        let secureDefault = try #require(transport.resolve("https://LOCALHOST/a"))
        #expect(secureDefault.origin.port == 443 && secureDefault.origin.pool.key == "https://LOCALHOST:443")
        for port in 1...(SocketHTTPTransport.maxOrigins + 5) {
            let route = try #require(transport.resolve("http://127.0.0.1:\(port)/x"))
            #expect(route.origin.port == port && route.origin.pool.key == "http://127.0.0.1:\(port)")
            let again = try #require(transport.resolve("http://127.0.0.1:\(port)/y"))
            #expect(again.origin.pool === route.origin.pool)
        }
    }

    /// The request written into a connection's reused buffer equals the one the previous writer built, for
    /// methods in any case, headers it drops or cleans, with and without a body or a caller's Content-Length; a
    /// buffer holding an earlier request's bytes is cleared first by the caller, so the writer only appends.
    @Test func writesRequestsAsThePreviousWriter() throws {
        let transport = SocketHTTPTransport()
        let urls = [
            "http://127.0.0.1:8104/api/v1/retail/m/customer/u%201/transaction", "http://localhost?q=1#f",
            "http://[::1]:8101", "http://h:1/p?x", "https://api.example.com/v1/x?y#z",
        ]
        let methods = ["POST", "post", "Put", "PATCH", "GET", "HEAD", "DELETE", "p\u{17F}st", "GE\r\nT", "pAtCh"]
        let headerSets: [[(String, String)]] = [
            [], [("X-Api-Key", "k"), ("Accept", "application/json"), ("Content-Type", "application/json")],
            [("Host", "evil"), ("connection", "close"), ("Transfer-Encoding", "chunked"), ("X-A", "1\r\n2")],
            [("Content-Length", "3"), ("\r\n", "empty name"), ("Na\nme", "v\r")], [("CONTENT-LENGTH", "0")],
        ]
        let bodies: [[UInt8]] = [[], Array(#"{"transaction_id":"pi_1","amount":1500}"#.utf8)]
        var buffer: [UInt8] = Array("stale bytes of an earlier request".utf8)
        var compared = 0
        for url in urls {
            let route = try #require(transport.resolve(url))
            let target = try #require(HTTPTarget(url))
            for method in methods {
                for headers in headerSets {
                    for body in bodies {
                        let request = HTTPRequest(method: method, url: url, headers: headers, body: body)
                        buffer.removeAll(keepingCapacity: true)
                        SocketHTTPTransport.serialize(request, route: route, into: &buffer)
                        let expected = Self.previousSerialize(request, target: target)
                        #expect(buffer == expected, "\(method) \(url) \(headers)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 500)
    }

    private static func same(_ route: HTTPRoute?, url: String, as target: HTTPTarget?) -> Bool {
        guard let route, let target else { return route == nil && target == nil }
        let origin = route.origin
        return origin.host == target.host && origin.port == target.port && origin.hostHeader == target.hostHeader
            && origin.pool.key == target.key && origin.isSecure == target.isSecure
            && route.pathAndQuery(in: url) == target.pathAndQuery
    }

    /// The writer this one replaced (a fresh array per request, the method upper-cased), kept as the reference.
    private static func previousSerialize(_ request: HTTPRequest, target: HTTPTarget) -> [UInt8] {
        func clean(_ text: String) -> String {
            guard text.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return text }
            return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        }
        var bytes: [UInt8] = []
        func add(_ text: String) { bytes.append(contentsOf: text.utf8) }
        add(clean(request.method))
        add(" ")
        add(target.pathAndQuery)
        add(" HTTP/1.1\r\nHost: ")
        add(target.hostHeader)
        add("\r\n")
        var hasLength = false
        for (name, value) in request.headers {
            let name = clean(name)
            guard !name.isEmpty else { continue }
            let lower = name.lowercased()
            if lower == "host" || lower == "connection" || lower == "transfer-encoding" { continue }
            if lower == "content-length" { hasLength = true }
            add(name)
            add(": ")
            add(clean(value))
            add("\r\n")
        }
        let method = request.method.uppercased()
        if !hasLength && (!request.body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH") {
            add("Content-Length: ")
            add(String(request.body.count))
            add("\r\n")
        }
        add("\r\n")
        bytes += request.body
        return bytes
    }
}

import Foundation
import PaymentsCore
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP answer, read completely.
struct HTTPResult: Sendable, CustomStringConvertible {
    let status: Int
    /// Header names lower-cased.
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON, or nil.
    var json: JSONValue? { try? JSONValue.parse(body) }
    var errorName: String? { json?["errorName"]?.stringValue }
    var errorMessage: String? { json?["errorMessage"]?.stringValue }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var description: String { "HTTP \(status) \(text.prefix(400))" }
}

/// A transport failure (connection refused, timeout) as opposed to an HTTP status.
struct HTTPFailure: Error, CustomStringConvertible {
    let description: String
}

/// Synchronous HTTP over URLSession (FoundationNetworking on Linux): blocks the calling thread until the answer.
enum HTTP {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 60
        configuration.timeoutIntervalForResource = 120
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        return URLSession(configuration: configuration)
    }()

    /// Holds the completion handler's result for the waiting thread.
    private final class Box: Sendable {
        let value = Mutex<Result<HTTPResult, HTTPFailure>?>(nil)
    }

    /// Sends one request and waits for the whole answer.
    static func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Double = 60
    ) throws -> HTTPResult {
        guard let target = URL(string: url) else { throw HTTPFailure(description: "bad URL \(url)") }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.addValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            let result: Result<HTTPResult, HTTPFailure>
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    fields[String(describing: key).lowercased()] = String(describing: value)
                }
                result = .success(
                    HTTPResult(status: http.statusCode, headers: fields, body: data.map { Array($0) } ?? []))
            } else {
                result = .failure(
                    HTTPFailure(description: "\(method) \(url): \(error.map { "\($0)" } ?? "no response")"))
            }
            box.value.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw HTTPFailure(description: "\(method) \(url): no answer within \(timeout) s")
        }
        guard let result = box.value.withLock({ $0 }) else {
            throw HTTPFailure(description: "\(method) \(url): lost result")
        }
        return try result.get()
    }

    /// POSTs a JSON document.
    static func postJSON(_ url: String, _ json: JSONValue, headers: [(String, String)] = []) throws -> HTTPResult {
        try send(
            "POST", url, headers: [("Content-Type", "application/json")] + headers, body: Array(json.serialized().utf8))
    }
}

/// The backend under test, through nginx.
struct API: Sendable {
    let env: TestEnvironment

    func url(_ route: String) -> String { "\(env.baseURL)/\(route)" }

    /// `POST <route>` with a JSON body and an optional bearer token.
    func post(_ route: String, _ body: JSONValue, token: String?, headers: [(String, String)] = []) throws -> HTTPResult
    {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        return try HTTP.postJSON(url(route), body, headers: all)
    }

    /// `POST <route>` with raw bytes.
    func postRaw(
        _ route: String, _ body: [UInt8], token: String?, contentType: String = "application/json",
        headers: [(String, String)] = []
    ) throws -> HTTPResult {
        var all = [("Content-Type", contentType)] + headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        return try HTTP.send("POST", url(route), headers: all, body: body)
    }

    /// `GET <route>[?query]`.
    func get(_ route: String, query: String = "", token: String?, headers: [(String, String)] = []) throws -> HTTPResult
    {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        return try HTTP.send("GET", url(route) + (query.isEmpty ? "" : "?\(query)"), headers: all)
    }

    /// `stripe-getPaymentIntent` with reCAPTCHA `pass` on the web platform.
    func createIntent(amount: Int64, token: String?, recaptcha: String = "pass", platform: String = "web") throws
        -> HTTPResult
    {
        try post(
            "stripe-getPaymentIntent",
            .object([
                ("amount", .int(amount)), ("recaptcha_token", .string(recaptcha)), ("platform", .string(platform)),
            ]),
            token: token)
    }

    /// `stripe-getPaymentIntentStatus` for one intent.
    func intentStatus(_ intentID: String, token: String?) throws -> HTTPResult {
        try post(
            "stripe-getPaymentIntentStatus",
            .object([
                ("payment_intent_id", .string(intentID)), ("recaptcha_token", .string("pass")),
                ("platform", .string("web")),
            ]),
            token: token)
    }
}

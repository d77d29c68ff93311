import Foundation
import PaymentsCore

/// How Retail's answers are read: error names, retryable statuses, `Retry-After` and safe descriptions.
extension RetailClient {
    /// Statuses that mean "try again later" (DESIGN §7): 408, 425, 429 and every 5xx.
    static func isRetryable(_ status: Int) -> Bool {
        status == 408 || status == 425 || status == 429 || (500..<600).contains(status)
    }

    /// The outcome of a non-2xx answer that is neither "exists", "customer missing" nor 401/403.
    static func classifyFailure(_ response: HTTPResponse, label: String) -> RetailPushOutcome {
        let status = response.status
        if isRetryable(status) {
            return .retry(reason: label, retryAfterSeconds: retryAfter(response))
        }
        if (400..<500).contains(status) { return .failed(reason: label) }
        if (300..<400).contains(status) {
            // Redirects are never followed: a moved endpoint is a wrong RETAIL_API_URL, not a bad row.
            return .configurationError(reason: "\(label): redirected, check RETAIL_API_URL")
        }
        return .retry(reason: label, retryAfterSeconds: nil)
    }

    /// `Retry-After` as whole seconds (0...3600; more digits than Int holds count as 3600), or nil when absent or not
    /// a number of seconds.
    static func retryAfter(_ response: HTTPResponse) -> Int? {
        guard let text = response.headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
            text.allSatisfy(\.isASCIIDigit)
        else { return nil }
        return min(Int(text) ?? Int.max, 3600)
    }

    /// The `errorName` of a JSON error body, when there is one.
    static func errorName(_ response: HTTPResponse) -> String? {
        guard !response.body.isEmpty, let name = response.json?["errorName"]?.stringValue, !name.isEmpty else {
            return nil
        }
        return name
    }

    /// True for error names saying the transaction (or customer) is already there.
    static func meansAlreadyExists(_ name: String?) -> Bool {
        guard let name else { return false }
        return self.name(name, contains: "AlreadyExists") || self.name(name, contains: "Duplicate")
    }

    /// Case-insensitive (ASCII) containment, for error names like `TransactionAlreadyExistsException`.
    static func name(_ name: String, contains word: String) -> Bool {
        name.lowercased().contains(word.lowercased())
    }

    /// `transaction: HTTP 422 InvalidAmount`: status and error name only, never the body.
    static func label(_ endpoint: String, _ status: Int, _ name: String?) -> String {
        let safeName = name.map { " " + String($0.filter { $0.isLetter || $0.isNumber || $0 == "_" }.prefix(80)) } ?? ""
        return "\(endpoint): HTTP \(status)\(safeName)"
    }

    /// A transport failure's kind, without URL or key.
    static func describe(_ error: any Error) -> String {
        if let transportError = error as? HTTPTransportError {
            switch transportError.kind {
            case .timeout: return "timed out"
            case .connection: return "connection failed"
            case .invalidURL: return "invalid URL"
            case .tooLarge: return "answer too large"
            }
        }
        return "transport error"
    }
}

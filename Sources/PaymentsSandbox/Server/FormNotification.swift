import PaymentsCore

/// A form-field notification as Payeer and Anypay send them (POST form or GET query), delivered synchronously once,
/// with the answer recorded so a control call can show what the backend said.
struct FormNotification: Sendable {
    /// How a notification is deliberately broken, so tests can check that the backend refuses it.
    enum Forgery: String, Sendable, CaseIterable {
        /// Signed with another secret key.
        case wrongSecret = "wrong_secret"
        /// Signed genuinely, then the amount is changed (one cent more) in what is sent.
        case tamperedAmount = "tampered_amount"
        /// Signed genuinely, then the status is changed in what is sent.
        case tamperedStatus = "tampered_status"
        /// Sent without the signature field.
        case missingSign = "missing_sign"
        /// Signed over the fields in another order (amount and currency swapped).
        case swappedFields = "swapped_fields"
        /// Signed with Anypay's legacy MD5 rule (which does not cover the status).
        case legacyMD5 = "legacy_md5"

        /// Reads a control body's `forge` member; nil when absent, a failure naming the choices when unknown.
        static func parse(_ body: JSONValue, allowingLegacyMD5: Bool) -> Result<Forgery?, SandboxError> {
            guard let text = body["forge"]?.stringValue, !text.isEmpty else { return .success(nil) }
            let choices = allCases.filter { allowingLegacyMD5 || $0 != .legacyMD5 }
            guard let forgery = choices.first(where: { $0.rawValue == text }) else {
                return .failure(
                    SandboxError("forge must be one of \(choices.map(\.rawValue).joined(separator: ", "))"))
            }
            return .success(forgery)
        }
    }

    /// The fields in the order they are sent, signature included unless forged away.
    let fields: [(String, String)]
    let forgery: Forgery?
    /// `POST` (form body) or `GET` (query string).
    let method: String
    /// `delivered` (the backend accepted it), `refused` (it answered something else), `failed` (no answer),
    /// `not_sent` (deliver:false) or `no_target`.
    var deliveryStatus = "not_sent"
    var httpStatus: Int?
    var answer: String?
    var error: String?

    init(fields: [(String, String)], forgery: Forgery?, method: String = "POST") {
        self.fields = fields
        self.forgery = forgery
        self.method = method
    }

    /// The encoded fields, as the form body or the query string.
    var encoded: String { FormEncoding.encode(fields) }

    /// Sends the notification to `url` (nil: nothing to send to) and records the answer; `accepted` tells
    /// whether the answer is the gateway's success reply.
    mutating func deliver(to url: String?, accepted: (Int, String) -> Bool) {
        guard let url else {
            deliveryStatus = "no_target"
            return
        }
        do throws(SandboxError) {
            let response =
                method == "GET"
                ? try HTTPClient.send(method: "GET", url: url + "?" + encoded, timeoutSeconds: 30)
                : try HTTPClient.send(
                    method: "POST", url: url,
                    headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array(encoded.utf8), timeoutSeconds: 30)
            let text = String(decoding: response.body, as: UTF8.self)
            httpStatus = response.status
            answer = text
            deliveryStatus = accepted(response.status, text) ? "delivered" : "refused"
        } catch {
            deliveryStatus = "failed"
            self.error = error.message
        }
    }

    /// The value of the first field named `name`.
    func value(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    /// The control-API view.
    var json: JSONValue {
        .object([
            ("fields", .object(fields.map { ($0.0, .string($0.1)) })), ("method", .string(method)),
            ("forged", forgery.map { .string($0.rawValue) } ?? .null), ("delivery_status", .string(deliveryStatus)),
            ("http_status", httpStatus.map { .int($0) } ?? .null), ("answer", .optional(answer)),
            ("error", .optional(error)),
        ])
    }
}

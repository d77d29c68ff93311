import Glibc
import PaymentsCore

/// Emulates `POST /recaptcha/api/siteverify`: token `pass` scores 0.9, `low` 0.1, anything else fails.
///
/// A real token carries the action and the site it was solved on; here they ride in the token itself:
/// `pass:<action>` answers that `action`, `pass:<action>:<hostname>` also that `hostname` (default `localhost`).
final class RecaptchaEmulator: Sendable {
    private let secret: String
    private let down = Locked(false)

    init(secret: String) { self.secret = secret }

    /// Answers a siteverify call (form body `secret`, `response`; an action not in the token may come from `?action=`).
    func siteverify(_ request: SandboxRequest) -> SandboxResponse {
        if down.withLock({ $0 }) { return .text(503, "reCAPTCHA sandbox is down\n") }
        var form = FormDecoding.parse(request.body)
        form.append(contentsOf: request.query.filter { $0.0 == "secret" || $0.0 == "response" })
        let given = form.first { $0.0 == "secret" }?.1 ?? ""
        guard !given.isEmpty, given == secret else {
            return .json(
                200, .object([("success", .bool(false)), ("error-codes", .array([.string("invalid-input-secret")]))]))
        }
        let parts = (form.first { $0.0 == "response" }?.1 ?? "").split(separator: ":", omittingEmptySubsequences: false)
        let token = parts.first.map(String.init) ?? ""
        let action = parts.count > 1 ? String(parts[1]) : request.queryValue("action")
        let hostname = parts.count > 2 ? String(parts[2]) : "localhost"
        let score: String
        switch token {
        case "pass": score = "0.9"
        case "low": score = "0.1"
        case "":
            return .json(
                200, .object([("success", .bool(false)), ("error-codes", .array([.string("missing-input-response")]))]))
        default:
            return .json(
                200, .object([("success", .bool(false)), ("error-codes", .array([.string("invalid-input-response")]))]))
        }
        var members: [(String, JSONValue)] = [("success", .bool(true)), ("score", .number(score))]
        if let action { members.append(("action", .string(action))) }
        members.append(("challenge_ts", .string(Self.timestamp())))
        members.append(("hostname", .string(hostname)))
        return .json(200, .object(members))
    }

    /// `POST /control/recaptcha {"down": bool}`.
    func control(_ body: JSONValue) -> SandboxResponse {
        guard let value = body["down"]?.boolValue else { return .controlError(400, "expected {\"down\": true|false}") }
        down.withLock { $0 = value }
        return .json(200, .object([("down", .bool(value))]))
    }

    /// ISO-8601 UTC time of now, as Google answers `challenge_ts`.
    private static func timestamp() -> String {
        var seconds = time_t(SocketIO.now())
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}

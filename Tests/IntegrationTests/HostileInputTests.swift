import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// Numbers from outside that used to reach unchecked arithmetic (issue 6, item 1): the responder must answer a
    /// clear 4xx and stay up, never trap.
    @Suite("Hostile input: extreme numbers", .serialized)
    struct HostileInputTests {
        /// The responder's pid, failing the test when the pid file is missing or names no running process (a
        /// zombie counts as dead: the stack's processes may be left unreaped).
        static func livePID(_ stack: Stack) throws -> Int32 {
            let pid = try #require(stack.env.responderPID(), "no responder pid file under TEST_RUN_DIR")
            let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map {
                String(decoding: $0, as: UTF8.self)
            }
            let state = stat.flatMap { $0.range(of: ") ", options: .backwards) }.flatMap { range in
                stat?[range.upperBound...].first
            }
            try #require(state != nil && state != "Z" && state != "X", "the responder (pid \(pid)) is not running")
            return pid
        }

        @Test(
            "signed tokens with extreme exp, iat or auth_time are 401 UnauthorizedException and the responder stays up"
        )
        func extremeTokenTimes() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("extreme-times")
            let pid = try Self.livePID(stack)
            #expect(try stack.api.get("app-getTransactions", token: token).status == 200)
            let now = WebhookSigner.now()
            let cases: [(String, [(String, JSONValue)])] = [
                ("exp Int64.max", [("exp", .number("9223372036854775807"))]),
                ("exp Int64.max - 59", [("exp", .number("9223372036854775748"))]),
                ("exp Int64.min", [("exp", .number("-9223372036854775808"))]),
                ("exp negative", [("exp", .int(-1))]),
                ("exp 1e300", [("exp", .number("1e300"))]),
                ("exp beyond Int64", [("exp", .number("99999999999999999999"))]),
                ("exp a day ahead", [("exp", .int(now + 86_400))]),
                ("iat Int64.max", [("iat", .number("9223372036854775807"))]),
                (
                    "iat Int64.min and exp Int64.max",
                    [("iat", .number("-9223372036854775808")), ("exp", .number("9223372036854775807"))]
                ),
                ("auth_time Int64.max", [("auth_time", .number("9223372036854775807"))]),
                ("auth_time 1e300", [("auth_time", .number("1e300"))]),
                ("iat -1e400", [("iat", .number("-1e400"))]),
            ]
            for (name, claims) in cases {
                let extreme = try stack.sandbox.mintToken(uid: uid, claims: claims)
                let answer = try stack.api.get("app-getTransactions", token: extreme)
                #expect(answer.status == 401, "\(name): \(answer)")
                #expect(answer.errorName == "UnauthorizedException", "\(name): \(answer)")
                let after = try stack.api.get("app-getTransactions", token: token)
                #expect(after.status == 200, "after \(name): \(after)")
                #expect(try Self.livePID(stack) == pid, "the responder was replaced after \(name)")
            }
            #expect(try stack.db.sessionCount(uid: uid) == 0)
        }
    }
}

import Foundation
import PaymentsCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Integration {
    /// Operational tests: the database stopped and started again (on a private stack of the test's own, so the
    /// shared stack never loses its database), Firebase certificates down for a fresh responder, and SIGTERM under
    /// load. None depends on running first or last.
    @Suite("Operational", .serialized)
    struct OperationalTests {
        @Test(
            "database stop: health 503 and payment routes 503 ServiceUnavailableException; back without a responder restart"
        )
        func databaseRestart() throws {
            let own = try PrivateStack.start("dbrestart", from: try Stack.connect())
            defer { own.stop() }
            let stack = own.stack
            let (uid, token) = try stack.newUser("dbrestart")
            #expect(try stack.api.get("health", token: nil).status == 200)
            let intentsBefore = try stack.sandbox.intents().count
            let stop = try Command.run("/bin/bash", [stack.env.script("db-stop.sh"), own.name])
            try #require(stop.status == 0, "db-stop.sh: \(stop)")

            let health = try stack.api.get("health", token: nil)
            #expect(health.status == 503, "health with the database down: \(health)")
            #expect(health.json?["status"]?.stringValue == "error")
            #expect(health.json?["db"]?.stringValue == "down")
            for _ in 0..<3 {
                let intent = try stack.api.createIntent(amount: 1000, token: token)
                #expect(intent.status == 503, "stripe-getPaymentIntent with the database down: \(intent)")
                #expect(intent.errorName == "ServiceUnavailableException", "\(intent)")
            }
            #expect(
                try stack.sandbox.intents().count == intentsBefore,
                "no PaymentIntent may be created at Stripe without its session row (DESIGN §1.1)")
            let history = try stack.api.get("app-getTransactions", token: token)
            #expect(history.status == 503, "\(history)")
            #expect(history.errorName == "ServiceUnavailableException")

            let start = try Command.run("/bin/bash", [stack.env.script("db-start.sh"), own.name])
            try #require(start.status == 0, "db-start.sh: \(start)")
            #expect(
                try eventually(timeout: 30, interval: 0.2) { try stack.api.get("health", token: nil).status == 200 },
                "health never recovered")
            // Each worker may answer one 503 while it drops its dead connection (DESIGN §12); then all is well.
            var intentID: String?
            try eventually(timeout: 30, interval: 0.2) {
                let answer = try stack.api.createIntent(amount: 1000, token: token)
                intentID = answer.json?["id"]?.stringValue
                return answer.status == 200
            }
            let id = try #require(intentID, "no payment could be created after the database came back")
            var consecutive = 0
            let steady = try eventually(timeout: 30, interval: 0.05) {
                consecutive = try stack.api.get("health", token: nil).status == 200 ? consecutive + 1 : 0
                return consecutive >= 40
            }
            #expect(steady, "health did not settle at 200 after the database came back")
            try stack.sandbox.pay(id)
            #expect(try stack.waitForRow(id).amount == 1000)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test("a freshly started responder answers its first concurrent authenticated requests without a 503")
        func certificatesPrefetchedAtStart() throws {
            let stack = try Stack.connect()
            let tokens = try (0..<8).map { _ in try stack.newUser("coldstart").token }
            let responder = try ExtraResponder.start(stack, workers: 8)
            defer { responder.discard() }
            let socket = responder.socket
            let answers = concurrently(tokens.count) { index in
                FastCGIClient.request(
                    socket: socket, method: "GET", route: "app-getTransactions",
                    headers: [("Authorization", "Bearer \(tokens[index])")])
            }
            for (index, answer) in answers.enumerated() {
                #expect(ExtraResponder.json(answer)?["total"]?.int64Value == 0, "request \(index): \(answer)")
            }
        }

        @Test("Firebase certs unavailable to a responder with no cached keys: 503, never 401; 200 once they are back")
        func firebaseCertsUnavailable() throws {
            let stack = try Stack.connect()
            let (_, token) = try stack.newUser("certsdown")
            // Down before the responder starts: its start-up prefetch of the certificates fails too.
            try stack.sandbox.firebaseCerts(down: true)
            defer { restoring("Firebase certs") { try stack.sandbox.firebaseCerts(down: false) } }
            let responder = try ExtraResponder.start(stack, workers: 2)
            defer { responder.discard() }
            let headers = [("Authorization", "Bearer \(token)")]
            let down = responder.request("GET", "app-getTransactions", headers: headers)
            guard case let .answered(status, body) = down else {
                Issue.record("no answer while certs are down: \(down)")
                return
            }
            #expect(status == 503, "certs down answered \(status)")
            #expect((try? JSONValue.parse(body))?["errorName"]?.stringValue == "GatewayUnavailableException")
            try stack.sandbox.firebaseCerts(down: false)
            let back = responder.request("GET", "app-getTransactions", headers: headers)
            #expect(ExtraResponder.json(back)?["total"]?.int64Value == 0, "after certs are back: \(back)")
            responder.process.signal(SIGTERM)
            #expect(try responder.process.wait(timeout: 15).status == 0)
        }

        @Test("SIGTERM under load: requests in flight finish with 200, the responder exits 0 within the stop budget")
        func sigtermUnderLoad() throws {
            let stack = try Stack.connect()
            let extra = try ExtraResponder.start(stack, workers: 8)
            defer { extra.discard() }
            let socket = extra.socket
            let responder = extra.process

            let tokens = try (0..<6).map { _ in try stack.newUser("sigterm").token }
            // The Firebase certificates first: the responder prefetches them at start, and requests that arrive while
            // that one fetch is still in flight answer 503, which is not what this test is about.
            let warm = extra.request("GET", "app-getBalance", headers: [("Authorization", "Bearer \(tokens[0])")])
            try #require(ExtraResponder.json(warm) != nil, "warm-up: \(warm)")
            // Slow Retail makes app-getBalance take ~1.5 s, so these are surely in flight when SIGTERM arrives.
            try stack.sandbox.retailMode("slow", latencyMilliseconds: 1500)
            defer { restoring("Retail mode") { try stack.sandbox.retailMode("ok") } }
            let signalled = DispatchSemaphore(value: 0)
            Thread {
                Thread.sleep(forTimeInterval: 0.5)
                responder.signal(SIGTERM)
                signalled.signal()
            }.start()
            let outcomes = concurrently(tokens.count + 4) { index -> [FastCGIOutcome] in
                if index < tokens.count {
                    return [
                        FastCGIClient.request(
                            socket: socket, method: "GET", route: "app-getBalance",
                            headers: [("Authorization", "Bearer \(tokens[index])")])
                    ]
                }
                // Background load: health requests until the responder stops accepting.
                var results: [FastCGIOutcome] = []
                let deadline = Date().addingTimeInterval(15)
                while Date() < deadline {
                    let outcome = FastCGIClient.request(socket: socket, method: "GET", route: "health")
                    results.append(outcome)
                    if case .notServed = outcome { break }
                }
                return results
            }
            signalled.wait()
            let exit = try responder.wait(timeout: 15)
            #expect(exit.status == 0, "payments-fcgi after SIGTERM: \(exit)")

            for (index, outcome) in outcomes.prefix(tokens.count).map({ $0.first ?? .notServed("no result") })
                .enumerated()
            {
                #expect(
                    ExtraResponder.json(outcome) == .object([("total", .int(0)), ("reserved", .int(0))]),
                    "in-flight request \(index): \(outcome)")
            }
            let background = outcomes.dropFirst(tokens.count).flatMap { $0 }
            let broken = background.filter { if case .broken = $0 { return true } else { return false } }
            #expect(broken.isEmpty, "requests cut off mid-answer: \(broken)")
            let answered = background.filter { if case .answered = $0 { return true } else { return false } }
            #expect(
                answered.allSatisfy(ExtraResponder.isHealthy),
                "health under load: \(answered.filter { !ExtraResponder.isHealthy($0) })")
            #expect(!answered.isEmpty, "no load was served before the stop")
            #expect(
                !ExtraResponder.isHealthy(FastCGIClient.request(socket: socket, method: "GET", route: "health")),
                "still answering after exit")
        }
    }
}

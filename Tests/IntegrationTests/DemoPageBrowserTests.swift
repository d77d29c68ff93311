import Foundation
import PaymentsCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Integration {
    /// The sandbox's live status demo page in a real browser (headless Chromium, Debian's `chromium`): it creates a
    /// Stripe payment through the API, subscribes with EventSource and shows `paid` within 2 s of the sandbox payment,
    /// without polling (issue 12).
    @Suite("Demo page in Chromium", .serialized)
    struct DemoPageBrowserTests {
        static let chromium = "/usr/bin/chromium"

        /// The page title Chromium reports over its DevTools HTTP endpoint (`/json/list`); the page puts
        /// `<status>:<payment id>` there. Read with curl: URLSession trips over the endpoint's answer head.
        static func title(devToolsPort: Int) throws -> String? {
            let answer = try Command.run(
                "/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(devToolsPort)/json/list"], timeout: 10)
            let pages = (try? JSONValue.parse(Array(answer.output.utf8)))?.arrayValue ?? []
            return pages.first { $0["type"]?.stringValue == "page" }?["title"]?.stringValue
        }

        @Test(
            "the page shows paid within 2 s of the sandbox payment, from its one event stream",
            .enabled(
                if: FileManager.default.isExecutableFile(atPath: chromium),
                "chromium is not installed (make deps installs the Debian package)"))
        func paidShowsUpLive() throws {
            let stack = try Stack.connect()
            let port = stack.env.int("RUN_HTTP_PORT", default: 18080)
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent(
                "itest-chromium-\(TestIDs.random(8))")
            try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: profile) }
            let uid = TestIDs.uid("browser")
            let page = "http://127.0.0.1:\(port)/sandbox/demo/events?auto=1&uid=\(uid)"
            let browser = try Command.start(
                Self.chromium,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                    "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", page,
                ])
            defer {
                browser.signal(SIGTERM)
                _ = try? browser.wait(timeout: 10)
            }
            var devToolsPort = 0
            try eventually(timeout: 30) {
                let file = profile.appendingPathComponent("DevToolsActivePort")
                let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                devToolsPort = Int(text.split(separator: "\n").first ?? "") ?? 0
                return devToolsPort > 0
            }
            // Subscribed: the title is `ready:<pi>` (or already `pending:<pi>` from the stream's first message).
            var title = ""
            try eventually(timeout: 30) {
                title = try Self.title(devToolsPort: devToolsPort) ?? ""
                #expect(!title.hasPrefix("error:"), "the page failed: \(title)")
                return title.hasPrefix("ready:pi_") || title.hasPrefix("pending:pi_")
            }
            let intentID = String(title.split(separator: ":")[1])
            let accessLog = URL(fileURLWithPath: stack.env.envFilePath).deletingLastPathComponent()
                .appendingPathComponent("nginx/logs/access.log")
            let logBefore = (try? String(contentsOf: accessLog, encoding: .utf8))?.utf8.count ?? 0

            let started = Date()
            try stack.sandbox.pay(intentID)
            try eventually(timeout: 5, interval: 0.02) {
                try Self.title(devToolsPort: devToolsPort) == "paid:\(intentID)"
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed < 2, "the page showed paid \(elapsed) s after the payment")

            // No polling: since it subscribed, the page asked nothing about the payment's status, and its one
            // subscription is still open (nginx logs a request when it ends).
            let log = String(
                decoding: Array(((try? Data(contentsOf: accessLog)) ?? Data()).dropFirst(logBefore)), as: UTF8.self)
            let pageRequests = log.split(separator: "\n").filter {
                $0.contains("getPaymentIntentStatus") || $0.contains("/api/events/")
                    || $0.contains("app-createEventsTicket")
            }
            #expect(pageRequests.isEmpty, "the page polled: \(pageRequests)")
        }
    }
}

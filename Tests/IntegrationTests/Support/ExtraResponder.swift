import Foundation
import PaymentsCore

#if canImport(Glibc)
    import Glibc
#endif

/// A second `payments-fcgi` the test starts itself on a private socket (fresh caches, its own SIGTERM), talking to
/// the test stack's database and sandbox. Callers `defer { responder.discard() }`.
struct ExtraResponder {
    let socket: String
    let process: RunningCommand
    private let directory: URL

    /// Starts it and waits until `health` answers 200; throws when it does not come up within a minute.
    /// `environment` overrides the env file (process variables win, DESIGN §9).
    static func start(_ stack: Stack, workers: Int, environment: [String: String] = [:]) throws -> ExtraResponder {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itest-fcgi-\(TestIDs.random(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("fcgi.sock").path
        let process = try Command.start(
            stack.env.executable("payments-fcgi"),
            ["--env-file", stack.env.envFilePath, "--sql-dir", "\(stack.env.repo)/sql"],
            environment: environment.merging(
                ["FCGI_SOCKET": socket, "FCGI_SOCKET_MODE": "0600", "FCGI_WORKERS": String(workers)]
            ) { _, fixed in fixed })
        let responder = ExtraResponder(socket: socket, process: process, directory: directory)
        let ready = try eventually(timeout: 60, interval: 0.2) {
            if !process.isRunning { return true }
            return responder.isHealthy
        }
        guard ready && process.isRunning else {
            responder.discard()
            let exit = try process.wait(timeout: 5)
            throw IntegrationSetupError(description: "the second responder did not start: \(exit)")
        }
        return responder
    }

    /// One request over FastCGI, bypassing nginx.
    func request(_ method: String, _ route: String, headers: [(String, String)] = []) -> FastCGIOutcome {
        FastCGIClient.request(socket: socket, method: method, route: route, headers: headers)
    }

    /// Whether `health` answers 200 `{"status":"ok","db":"ok"}`.
    var isHealthy: Bool { Self.isHealthy(request("GET", "health")) }

    /// The JSON body of a 200 answer, else nil.
    static func json(_ outcome: FastCGIOutcome) -> JSONValue? {
        guard case let .answered(status, body) = outcome, status == 200 else { return nil }
        return try? JSONValue.parse(body)
    }

    /// Whether an outcome is a healthy `health` answer.
    static func isHealthy(_ outcome: FastCGIOutcome) -> Bool {
        json(outcome) == .object([("status", .string("ok")), ("db", .string("ok"))])
    }

    /// Kills it (a no-op once it has exited) and removes its socket directory.
    func discard() {
        process.signal(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}

import Foundation
import Testing

/// A whole stack of a test's own — MariaDB, sandbox, responder and nginx under `.run/test-<name>` on free ports —
/// for tests that stop services or flip sandbox-wide switches, so nothing they do reaches the shared test stack and
/// they may run in any order. Callers `defer { private.stop() }`; scripts/test-integration.sh also stops any left over.
/// A whole suite can share one with the `.privateStack(_:)` trait (PrivateStackScope.swift).
struct PrivateStack: Sendable {
    let name: String
    let stack: Stack

    /// Starts `test-<tag>` from a clean directory with the debug build the shared stack runs, and waits for health.
    static func start(_ tag: String, from shared: Stack) throws -> PrivateStack {
        let name = "test-\(tag)"
        let runDirectory = "\(shared.env.repo)/.run/\(name)"
        _ = try? Command.run("/bin/bash", [shared.env.script("stack-stop.sh"), name])
        try? FileManager.default.removeItem(atPath: runDirectory)
        // Without the port variables (env -u): the private stack picks its own free block even when the runner pinned
        // the shared stack's ports, and no executable it starts sees them override its env file.
        let started = try Command.run(
            "/usr/bin/env",
            [
                "-u", "RUN_HTTP_PORT", "-u", "RUN_HTTPS_PORT", "-u", "SANDBOX_PORT_BASE", "/bin/bash",
                shared.env.script("stack-start.sh"), name,
            ], environment: ["TN_BIN_DIR": shared.env.binDirectory], timeout: 180)
        guard started.status == 0 else {
            _ = try? Command.run("/bin/bash", [shared.env.script("stack-stop.sh"), name])
            throw IntegrationSetupError(description: "stack-start.sh \(name) failed: \(started)")
        }
        let env = try shared.env.forStack(envFile: "\(runDirectory)/payments.env")
        return PrivateStack(
            name: name,
            stack: Stack(env: env, api: API(env: env), sandbox: Sandbox(env: env), db: LedgerDatabase(env: env)))
    }

    /// Stops every service of the stack and removes its directory; a failure to stop is a test failure.
    func stop() {
        do {
            let stopped = try Command.run("/bin/bash", [stack.env.script("stack-stop.sh"), name], timeout: 60)
            if stopped.status != 0 { Issue.record("stack-stop.sh \(name): \(stopped)") }
        } catch {
            Issue.record("stack-stop.sh \(name): \(error)")
        }
        try? FileManager.default.removeItem(atPath: "\(stack.env.repo)/.run/\(name)")
    }
}
